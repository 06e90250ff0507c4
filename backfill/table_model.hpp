// A table as the backfill sees it (from system_schema.columns), the SELECT that reads one token
// range of it with every cell's WRITETIME and TTL, and the statements that write one source row
// to the target (DESIGN.md "The backfill"): cells grouped per (writetime, TTL), each group one
// INSERT ... USING TIMESTAMP <its writetime> AND TTL <its remaining TTL>; null cells never
// written; static cells once per partition; non-frozen collections and UDTs (whose cells have no
// single writetime) and rows without any dated cell written at T0-1, so that every write the
// proxy mirrored after T0 wins over them. Pure: rows in, statements out.
#pragma once

#include "client/cql_client.hpp"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace tandem::backfill {

enum class column_kind { partition_key, clustering, static_column, regular };

struct column_def {
  std::string name;
  column_kind kind = column_kind::regular;
  int position = -1;
  std::string type;         // as system_schema.columns spells it: "frozen<list<int>>", "text"
  bool multi_cell = false;  // a non-frozen collection or user type: no single writetime
  bool counter = false;

  friend bool operator==(const column_def&, const column_def&) = default;
};

struct table_def {
  std::string keyspace;
  std::string name;
  std::vector<column_def> columns;  // partition key, clustering (by position), static, regular

  std::vector<const column_def*> of_kind(column_kind k) const;
  bool is_counter_table() const;
  std::string qualified() const;  // "ks"."t", quoted
};

// A CQL identifier in double quotes (exact case; quotes inside doubled).
std::string quote(const std::string& name);

// True for types whose cells are written one by one (list<...>, set<...>, map<...>, and a user
// type of `user_types` that is not frozen).
bool is_multi_cell(const std::string& type, const std::set<std::string>& user_types);

// Orders the columns (partition key and clustering by position, then static, then regular
// by name) and marks multi-cell and counter columns.
table_def make_table(std::string keyspace, std::string name, std::vector<column_def> columns,
                     const std::set<std::string>& user_types);

// Where each value sits in the copy SELECT's rows.
struct select_layout {
  struct value_column {
    const column_def* column = nullptr;
    std::size_t value = 0;
    std::optional<std::size_t> writetime;  // absent for multi-cell and counter columns
    std::optional<std::size_t> ttl;
  };
  std::size_t key_columns = 0;  // the first key_columns cells: partition key then clustering
  std::size_t partition_key_columns = 0;
  std::vector<value_column> values;
};

// SELECT <keys>, <c>, WRITETIME(<c>), TTL(<c>) ... FROM t WHERE token(<pk>) > ? AND token(<pk>) <= ?
std::string copy_select(const table_def& t);
select_layout layout_of(const table_def& t);

// The partition key cells of a row, concatenated with their lengths: equal for rows of one
// partition (to write static cells once per partition).
std::string partition_of(const select_layout& l, const protocol::result_row& row);

// The statements that write `row` to the target. `with_statics`: the first row seen of its
// partition. `undated_timestamp`: T0-1. `list_timestamp`: for non-frozen lists, whose elements
// get new cell paths at every write, so a copy repeated (a resumed page, a second job) must
// replace the earlier copy rather than append to it: each copy is a full assignment (a
// tombstone just below its timestamp, then the elements) at a timestamp below T0 that grows
// with wall time (list_timestamp_at), so a later copy's tombstone covers an earlier copy.
std::vector<client::statement> writes_for_row(const table_def& t, const select_layout& l,
                                      const protocol::result_row& row, bool with_statics,
                                      std::int64_t undated_timestamp, std::int64_t list_timestamp);

// The list timestamp at wall time `now_us`: T0 - 2^44 µs + (now - T0), kept below T0-1.
std::int64_t list_timestamp_at(std::int64_t t0, std::int64_t now_us);

// Counter tables: the SELECT of a row's counters on the target, and the UPDATE that adds the
// difference (source - target) to each counter.
std::string counter_read(const table_def& t);
std::optional<client::statement> counter_delta(const table_def& t, const select_layout& l,
                                       const protocol::result_row& source_row,
                                       const std::optional<protocol::result_row>& target_row);

}  // namespace tandem::backfill
