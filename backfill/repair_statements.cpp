#include "backfill/repair_statements.hpp"

#include "backfill/cell_values.hpp"

namespace tandem::backfill {
namespace {

std::string where_of(const table_def& t, bool partition_only) {
  std::string where;
  for (const auto& c : t.columns) {
    const bool key = c.kind == column_kind::partition_key ||
                     (!partition_only && c.kind == column_kind::clustering);
    if (key) {
      where += (where.empty() ? "" : " AND ") + quote(c.name) + " = ?";
    }
  }
  return where;
}

std::string token_of(const table_def& t) {
  std::string pk;
  for (const auto* c : t.of_kind(column_kind::partition_key)) {
    pk += (pk.empty() ? "" : ", ") + quote(c->name);
  }
  return "token(" + pk + ")";
}

bool partition_level(const select_layout& l, const select_layout::value_column& c,
                     const protocol::result_row& row) {
  return c.column->kind == column_kind::static_column || is_static_only(l, row);
}

}  // namespace

bool is_static_only(const select_layout& l, const protocol::result_row& row) {
  return l.key_columns > l.partition_key_columns && l.partition_key_columns < row.size() &&
         !row[l.partition_key_columns];
}

std::vector<protocol::value> key_values(const select_layout& l, const protocol::result_row& row,
                                        bool partition_only) {
  const std::size_t n = partition_only || is_static_only(l, row) ? l.partition_key_columns : l.key_columns;
  std::vector<protocol::value> out;
  for (std::size_t i = 0; i < n && i < row.size(); ++i) {
    out.push_back(blob_value(row[i]));
  }
  return out;
}

namespace {

// `head` (everything before WHERE) with its values, then the row's key: the WHERE part and its
// values every repair statement ends with.
client::statement keyed(const table_def& t, const select_layout& l, const protocol::result_row& row,
                        bool partition_only, std::string head, std::vector<protocol::value> values) {
  client::statement s{std::move(head) + " WHERE " + where_of(t, partition_only), std::move(values)};
  for (auto& v : key_values(l, row, partition_only)) {
    s.values.push_back(std::move(v));
  }
  return s;
}

}  // namespace

client::statement write_cell(const table_def& t, const select_layout& l,
                     const select_layout::value_column& c, const protocol::result_row& row,
                     std::int64_t timestamp, std::int32_t ttl) {
  return keyed(t, l, row, partition_level(l, c, row),
               "UPDATE " + t.qualified() + " USING TIMESTAMP ? AND TTL ? SET " +
                   quote(c.column->name) + " = ?",
               {long_value(timestamp), int_value(ttl), blob_value(row[c.value])});
}

client::statement delete_cell(const table_def& t, const select_layout& l,
                      const select_layout::value_column& c, const protocol::result_row& row,
                      std::int64_t timestamp) {
  return keyed(t, l, row, partition_level(l, c, row),
               "DELETE " + quote(c.column->name) + " FROM " + t.qualified() + " USING TIMESTAMP ?",
               {long_value(timestamp)});
}

client::statement delete_row(const table_def& t, const select_layout& l, const protocol::result_row& row,
                     std::int64_t timestamp) {
  if (is_static_only(l, row)) {
    std::string statics;
    for (const auto* c : t.of_kind(column_kind::static_column)) {
      statics += (statics.empty() ? "" : ", ") + quote(c->name);
    }
    // key_values gives only the partition key of a static-only row, matching where_of(t, true).
    return keyed(t, l, row, true, "DELETE " + statics + " FROM " + t.qualified() + " USING TIMESTAMP ?",
                 {long_value(timestamp)});
  }
  return keyed(t, l, row, false, "DELETE FROM " + t.qualified() + " USING TIMESTAMP ?",
               {long_value(timestamp)});
}

client::statement write_marker(const table_def& t, const select_layout& l, const protocol::result_row& row,
                       std::int64_t timestamp) {
  client::statement s;
  std::string names;
  std::string marks;
  for (const auto& c : t.columns) {
    if (c.kind == column_kind::partition_key || c.kind == column_kind::clustering) {
      names += (names.empty() ? "" : ", ") + quote(c.name);
      marks += marks.empty() ? "?" : ", ?";
    }
  }
  s.cql = "INSERT INTO " + t.qualified() + " (" + names + ") VALUES (" + marks + ") USING TIMESTAMP ?";
  s.values = key_values(l, row, false);
  s.values.push_back(long_value(timestamp));
  return s;
}

std::vector<client::statement> restamp_row(const table_def& t, const select_layout& l,
                                   const protocol::result_row& row, std::int64_t timestamp) {
  std::vector<client::statement> out;
  const bool static_only = is_static_only(l, row);
  if (!static_only) {
    out.push_back(write_marker(t, l, row, timestamp));
  }
  for (const auto& v : l.values) {
    if (!row[v.value] || v.column->counter ||
        (static_only && v.column->kind != column_kind::static_column)) {
      continue;
    }
    const auto ttl = v.ttl ? read_int(row[*v.ttl]).value_or(0) : 0;
    out.push_back(write_cell(t, l, v, row, timestamp, ttl));
  }
  return out;
}

std::string validation_select(const table_def& t) {
  std::string select = copy_select(t);
  const auto from = select.find(" FROM ");
  return select.substr(0, from) + ", " + token_of(t) + select.substr(from);
}

std::string row_select(const table_def& t, bool partition_only) {
  std::string select = validation_select(t);
  const auto where = select.find(" WHERE ");
  return select.substr(0, where) + " WHERE " + where_of(t, partition_only) +
         (partition_only ? " LIMIT 1" : "");
}

}  // namespace tandem::backfill
