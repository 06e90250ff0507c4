#include "backfill/schema.hpp"

#include "protocol/wire_reader.hpp"
#include "client/own_connection.hpp"

#include <algorithm>

namespace tandem::backfill {
namespace {

using client::cql_string_literal;

std::optional<std::string> read_item(protocol::wire_reader& r) {
  auto n = r.read_int();
  if (!n || *n < 0) {
    return std::nullopt;
  }
  auto bytes = r.read_raw(static_cast<std::size_t>(*n));
  if (!bytes) {
    return std::nullopt;
  }
  return std::string(reinterpret_cast<const char*>(bytes->data()), bytes->size());
}

std::optional<std::size_t> column_index(const protocol::rows_result& r, const std::string& name) {
  for (std::size_t i = 0; i < r.metadata.columns.size(); ++i) {
    if (r.metadata.columns[i].name == name) {
      return i;
    }
  }
  return std::nullopt;
}

struct rows_reader {
  const protocol::rows_result& r;
  std::string text(const protocol::result_row& row, const std::string& col) const {
    auto i = column_index(r, col);
    return i && *i < row.size() ? cell_text(row[*i]) : std::string();
  }
  const std::optional<protocol::bytes>& cell(const protocol::result_row& row,
                                             const std::string& col) const {
    static const std::optional<protocol::bytes> none;
    auto i = column_index(r, col);
    return i && *i < row.size() ? row[*i] : none;
  }
};

asio::awaitable<client::outcome<std::vector<protocol::rows_result>>> read_all(client::cql_client& c,
                                                                      std::string cql) {
  client::outcome<std::vector<protocol::rows_result>> out;
  std::optional<protocol::bytes> paging;
  std::vector<protocol::rows_result> pages;
  do {
    client::statement s{cql, {}};
    auto p = co_await c.execute(std::move(s), protocol::consistency::one, 5000, paging);
    if (!p) {
      out.error = p.error;
      co_return out;
    }
    paging = p.value->paging_state;
    pages.push_back(std::move(p.value->rows));
  } while (paging);
  out.value = std::move(pages);
  co_return out;
}

column_kind kind_named(const std::string& k) {
  if (k == "partition_key") return column_kind::partition_key;
  if (k == "clustering") return column_kind::clustering;
  if (k == "static") return column_kind::static_column;
  return column_kind::regular;
}

}  // namespace

std::string cell_text(const std::optional<protocol::bytes>& cell) {
  return cell ? std::string(reinterpret_cast<const char*>(cell->data()), cell->size())
              : std::string();
}

std::vector<std::string> cell_text_list(const std::optional<protocol::bytes>& cell) {
  std::vector<std::string> out;
  if (!cell) {
    return out;
  }
  protocol::wire_reader r{protocol::bytes_view(*cell)};
  auto n = r.read_int();
  for (std::int32_t i = 0; n && i < *n; ++i) {
    auto item = read_item(r);
    if (!item) break;
    out.push_back(*item);
  }
  return out;
}

std::map<std::string, std::string> cell_text_map(const std::optional<protocol::bytes>& cell) {
  std::map<std::string, std::string> out;
  if (!cell) {
    return out;
  }
  protocol::wire_reader r{protocol::bytes_view(*cell)};
  auto n = r.read_int();
  for (std::int32_t i = 0; n && i < *n; ++i) {
    auto k = read_item(r);
    auto v = k ? read_item(r) : std::nullopt;
    if (!v) break;
    out[*k] = *v;
  }
  return out;
}

bool is_system_keyspace(const std::string& ks) {
  static const std::set<std::string> names = {
      "system", "system_schema", "system_auth", "system_distributed", "system_traces",
      "system_virtual_schema", "system_views", "system_cluster_metadata"};
  return names.count(ks) > 0;
}

asio::awaitable<client::outcome<schema_snapshot>> read_schema(client::cql_client& c, std::set<std::string> only,
                                                      std::string state_keyspace) {
  client::outcome<schema_snapshot> out;
  schema_snapshot s;
  const auto wanted = [&](const std::string& ks) {
    return only.empty() ? !is_system_keyspace(ks) && ks != state_keyspace : only.count(ks) > 0;
  };
  auto ks_pages = co_await read_all(c, "SELECT keyspace_name, replication, durable_writes FROM system_schema.keyspaces");
  if (!ks_pages) {
    out.error = ks_pages.error;
    co_return out;
  }
  for (const auto& page : *ks_pages.value) {
    rows_reader rr{page};
    for (const auto& row : page.rows) {
      const auto ks = rr.text(row, "keyspace_name");
      if (!wanted(ks)) continue;
      keyspace_info k;
      k.replication = cell_text_map(rr.cell(row, "replication"));
      const auto& dw = rr.cell(row, "durable_writes");
      k.durable_writes = !dw || dw->empty() || dw->front() != std::byte{0};
      s.keyspaces[ks] = std::move(k);
    }
  }
  auto type_pages = co_await read_all(c, "SELECT keyspace_name, type_name, field_names, field_types FROM system_schema.types");
  if (!type_pages) {
    out.error = type_pages.error;
    co_return out;
  }
  std::map<std::string, std::set<std::string>> udt_names;
  for (const auto& page : *type_pages.value) {
    rows_reader rr{page};
    for (const auto& row : page.rows) {
      const auto ks = rr.text(row, "keyspace_name");
      if (!s.keyspaces.count(ks)) continue;
      const auto name = rr.text(row, "type_name");
      s.types[{ks, name}] = user_type{cell_text_list(rr.cell(row, "field_names")),
                                      cell_text_list(rr.cell(row, "field_types"))};
      udt_names[ks].insert(name);
    }
  }
  auto col_pages = co_await read_all(c, "SELECT keyspace_name, table_name, column_name, kind, position, type, clustering_order FROM system_schema.columns");
  if (!col_pages) {
    out.error = col_pages.error;
    co_return out;
  }
  std::map<std::pair<std::string, std::string>, std::vector<column_def>> columns;
  for (const auto& page : *col_pages.value) {
    rows_reader rr{page};
    for (const auto& row : page.rows) {
      const auto ks = rr.text(row, "keyspace_name");
      if (!s.keyspaces.count(ks)) continue;
      const auto table = rr.text(row, "table_name");
      column_def col;
      col.name = rr.text(row, "column_name");
      col.kind = kind_named(rr.text(row, "kind"));
      const auto& pos = rr.cell(row, "position");
      col.position = pos && pos->size() == 4
                         ? static_cast<int>((std::to_integer<unsigned>((*pos)[0]) << 24) |
                                            (std::to_integer<unsigned>((*pos)[1]) << 16) |
                                            (std::to_integer<unsigned>((*pos)[2]) << 8) |
                                            std::to_integer<unsigned>((*pos)[3]))
                         : -1;
      col.type = rr.text(row, "type");
      s.clustering_order[{ks + "." + table, col.name}] = rr.text(row, "clustering_order");
      columns[{ks, table}].push_back(std::move(col));
    }
  }
  // Views are tables in system_schema.columns too; they are rebuilt by the target, not copied.
  auto view_pages = co_await read_all(c, "SELECT keyspace_name, view_name FROM system_schema.views");
  std::set<std::pair<std::string, std::string>> views;
  if (view_pages) {
    for (const auto& page : *view_pages.value) {
      rows_reader rr{page};
      for (const auto& row : page.rows) {
        views.insert({rr.text(row, "keyspace_name"), rr.text(row, "view_name")});
      }
    }
  }
  for (auto& [key, cols] : columns) {
    if (views.count(key)) continue;
    s.tables[key] = make_table(key.first, key.second, std::move(cols), udt_names[key.first]);
  }
  auto index_pages = co_await read_all(c, "SELECT keyspace_name, table_name, index_name, kind, options FROM system_schema.indexes");
  if (!index_pages) {
    out.error = index_pages.error;
    co_return out;
  }
  for (const auto& page : *index_pages.value) {
    rows_reader rr{page};
    for (const auto& row : page.rows) {
      const auto ks = rr.text(row, "keyspace_name");
      if (!s.keyspaces.count(ks)) continue;
      s.indexes[{ks, rr.text(row, "table_name"), rr.text(row, "index_name")}] =
          index_info{rr.text(row, "kind"), cell_text_map(rr.cell(row, "options"))};
    }
  }
  out.value = std::move(s);
  co_return out;
}

std::string create_keyspace_cql(const std::string& ks, const keyspace_info& k) {
  std::string rep;
  for (const auto& [key, value] : k.replication) {
    rep += (rep.empty() ? "" : ", ") + client::cql_string_literal(key) + ": " + client::cql_string_literal(value);
  }
  return "CREATE KEYSPACE IF NOT EXISTS " + quote(ks) + " WITH replication = {" + rep +
         "} AND durable_writes = " + (k.durable_writes ? "true" : "false");
}

std::string create_type_cql(const std::string& ks, const std::string& name, const user_type& t) {
  std::string fields;
  for (std::size_t i = 0; i < t.field_names.size() && i < t.field_types.size(); ++i) {
    fields += (fields.empty() ? "" : ", ") + quote(t.field_names[i]) + " " + t.field_types[i];
  }
  return "CREATE TYPE IF NOT EXISTS " + quote(ks) + "." + quote(name) + " (" + fields + ")";
}

std::string create_table_cql(const schema_snapshot& s, const table_def& t) {
  std::string cols;
  for (const auto& c : t.columns) {
    cols += (cols.empty() ? "" : ", ") + quote(c.name) + " " + c.type +
            (c.kind == column_kind::static_column ? " STATIC" : "");
  }
  std::string pk;
  for (const auto* c : t.of_kind(column_kind::partition_key)) {
    pk += (pk.empty() ? "" : ", ") + quote(c->name);
  }
  std::string key = "(" + pk + ")";
  std::string order;
  for (const auto* c : t.of_kind(column_kind::clustering)) {
    key += ", " + quote(c->name);
    const auto it = s.clustering_order.find({t.keyspace + "." + t.name, c->name});
    const bool desc = it != s.clustering_order.end() && it->second == "desc";
    order += (order.empty() ? "" : ", ") + quote(c->name) + (desc ? " DESC" : " ASC");
  }
  return "CREATE TABLE IF NOT EXISTS " + t.qualified() + " (" + cols + ", PRIMARY KEY (" + key +
         "))" + (order.empty() ? std::string() : " WITH CLUSTERING ORDER BY (" + order + ")");
}

std::string create_index_cql(const std::string& ks, const std::string& table,
                             const std::string& name, const index_info& i) {
  const auto target = i.options.count("target") ? i.options.at("target") : std::string();
  if (i.kind == "CUSTOM") {
    const auto cls = i.options.count("class_name") ? i.options.at("class_name") : std::string();
    return "CREATE CUSTOM INDEX IF NOT EXISTS " + quote(name) + " ON " + quote(ks) + "." +
           quote(table) + " (" + target + ") USING " + client::cql_string_literal(cls);
  }
  return "CREATE INDEX IF NOT EXISTS " + quote(name) + " ON " + quote(ks) + "." + quote(table) +
         " (" + target + ")";
}

schema_diff diff_schema(const schema_snapshot& source, const schema_snapshot& target) {
  schema_diff d;
  for (const auto& [ks, k] : source.keyspaces) {
    const auto it = target.keyspaces.find(ks);
    if (it == target.keyspaces.end()) {
      d.create.push_back(create_keyspace_cql(ks, k));
    } else if (it->second.replication != k.replication) {
      d.differences.push_back("keyspace " + ks + ": replication differs (left alone)");
    }
  }
  for (const auto& [key, t] : source.types) {
    const auto it = target.types.find(key);
    if (it == target.types.end()) {
      d.create.push_back(create_type_cql(key.first, key.second, t));
    } else if (it->second.field_names != t.field_names || it->second.field_types != t.field_types) {
      d.differences.push_back("type " + key.first + "." + key.second + ": fields differ (left alone)");
    }
  }
  for (const auto& [key, t] : source.tables) {
    const auto it = target.tables.find(key);
    if (it == target.tables.end()) {
      d.create.push_back(create_table_cql(source, t));
      continue;
    }
    for (const auto& c : t.columns) {
      const auto tc = std::find_if(it->second.columns.begin(), it->second.columns.end(),
                                   [&](const column_def& x) { return x.name == c.name; });
      const std::string where = "table " + key.first + "." + key.second + ": column " + c.name;
      if (tc == it->second.columns.end()) {
        d.differences.push_back(where + " missing on the target (left alone)");
      } else if (tc->type != c.type || tc->kind != c.kind) {
        d.differences.push_back(where + " is " + c.type + " on the source, " + tc->type +
                                " on the target (left alone)");
      }
    }
  }
  for (const auto& [key, i] : source.indexes) {
    if (!target.indexes.count(key)) {
      d.create.push_back(create_index_cql(std::get<0>(key), std::get<1>(key), std::get<2>(key), i));
    }
  }
  return d;
}

}  // namespace tandem::backfill
