// How validation compares one row of the source with the same row of the target (issue 6,
// DESIGN.md "Validation"). Rows come from the validation SELECT (table_model's copy_select plus
// the token at the end), so each regular and static column has its value and, where Cassandra
// reports one, its WRITETIME and TTL. Pure: rows in, differences out.
//
// What is compared, and why:
// - values of every column, byte for byte (a null and a value differ);
// - writetimes of cells that have a single one; not those of non-frozen collections and user
//   types or counters, whose writetimes the backfill does not copy (it writes them at T0-1);
// - TTLs: a TTL and none differ; two TTLs differ when they are further apart than the age of the
//   scan plus a slack, because the two clusters were read at different moments.
#pragma once

#include "backfill/table_model.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace tandem::backfill {

enum class difference_kind {
  missing_on_target,
  extra_on_target,
  value_differs,
  writetime_differs,
  ttl_differs,
};

const char* name_of(difference_kind k);

struct cell_difference {
  const select_layout::value_column* column = nullptr;  // null for a whole row
  difference_kind kind = difference_kind::value_differs;
};

// The differences between two rows with the same key, one per differing column: the first that
// applies of value, TTL on one side only, writetime, TTLs too far apart. `with_statics`: compare the static columns too (the
// first row of a partition).
std::vector<cell_difference> compare_rows(const select_layout& l, const protocol::result_row& source,
                                          const protocol::result_row& target, bool with_statics,
                                          std::int32_t ttl_tolerance_seconds);

// The key of a row within its partition: the clustering cells, null-aware, as one string (a
// partition's static-only row has null clustering).
std::string clustering_of(const select_layout& l, const protocol::result_row& row);

// The greatest writetime among the row's dated non-null cells (statics included when asked),
// or std::nullopt when it has none.
std::optional<std::int64_t> newest_writetime(const select_layout& l, const protocol::result_row& row,
                                             bool with_statics);

}  // namespace tandem::backfill
