// The schema of a cluster as the backfill needs it (system_schema.keyspaces, types, tables,
// columns, indexes), the CQL that recreates each object on the target, and the comparison of
// source and target behind `tandem schema diff|apply` (issue 5).
#pragma once

#include "backfill/table_model.hpp"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace tandem::backfill {

namespace asio = boost::asio;

struct keyspace_info {
  std::map<std::string, std::string> replication;
  bool durable_writes = true;
};

struct user_type {
  std::vector<std::string> field_names;
  std::vector<std::string> field_types;
};

struct index_info {
  std::string kind;  // COMPOSITES, KEYS, CUSTOM
  std::map<std::string, std::string> options;  // target, class_name
};

struct schema_snapshot {
  std::map<std::string, keyspace_info> keyspaces;
  std::map<std::pair<std::string, std::string>, user_type> types;    // (ks, type)
  std::map<std::pair<std::string, std::string>, table_def> tables;   // (ks, table)
  std::map<std::pair<std::string, std::string>, std::string> clustering_order;  // (ks.table, col) -> asc|desc
  std::map<std::tuple<std::string, std::string, std::string>, index_info> indexes;  // (ks, table, index)
};

// Keyspaces the backfill never copies: Cassandra's own, and the state keyspace.
bool is_system_keyspace(const std::string& ks);

// Reads the schema of the keyspaces in `only` (empty: every non-system keyspace but `state_keyspace`).
asio::awaitable<client::outcome<schema_snapshot>> read_schema(client::cql_client& c, std::set<std::string> only,
                                                      std::string state_keyspace);

std::string create_keyspace_cql(const std::string& ks, const keyspace_info& k);
std::string create_type_cql(const std::string& ks, const std::string& name, const user_type& t);
std::string create_table_cql(const schema_snapshot& s, const table_def& t);
std::string create_index_cql(const std::string& ks, const std::string& table,
                             const std::string& name, const index_info& i);

struct schema_diff {
  std::vector<std::string> create;      // CQL to run on the target, in dependency order
  std::vector<std::string> differences; // what differs and is left alone, one line each
};

// What the target lacks of the source's keyspaces (all of `source`'s), and what differs.
schema_diff diff_schema(const schema_snapshot& source, const schema_snapshot& target);

// Text cells of system tables.
std::string cell_text(const std::optional<protocol::bytes>& cell);
std::vector<std::string> cell_text_list(const std::optional<protocol::bytes>& cell);
std::map<std::string, std::string> cell_text_map(const std::optional<protocol::bytes>& cell);

}  // namespace tandem::backfill
