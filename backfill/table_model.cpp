#include "backfill/table_model.hpp"

#include "backfill/cell_values.hpp"


#include <algorithm>
#include <map>

namespace tandem::backfill {
namespace {

std::string join_names(const std::vector<const column_def*>& cols, const std::string& sep) {
  std::string out;
  for (const auto* c : cols) {
    out += (out.empty() ? "" : sep) + quote(c->name);
  }
  return out;
}

std::string markers(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += i == 0 ? "?" : ", ?";
  }
  return out;
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

std::string quote(const std::string& name) {
  std::string out = "\"";
  for (char ch : name) {
    out += ch;
    if (ch == '"') {
      out += '"';
    }
  }
  return out + "\"";
}

std::vector<const column_def*> table_def::of_kind(column_kind k) const {
  std::vector<const column_def*> out;
  for (const auto& c : columns) {
    if (c.kind == k) {
      out.push_back(&c);
    }
  }
  return out;
}

bool table_def::is_counter_table() const {
  return std::any_of(columns.begin(), columns.end(), [](const column_def& c) { return c.counter; });
}

std::string table_def::qualified() const { return quote(keyspace) + "." + quote(name); }

bool is_multi_cell(const std::string& type, const std::set<std::string>& user_types) {
  if (starts_with(type, "list<") || starts_with(type, "set<") || starts_with(type, "map<")) {
    return true;
  }
  return user_types.count(type) > 0;
}

table_def make_table(std::string keyspace, std::string name, std::vector<column_def> columns,
                     const std::set<std::string>& user_types) {
  for (auto& c : columns) {
    c.counter = c.type == "counter";
    c.multi_cell = (c.kind == column_kind::regular || c.kind == column_kind::static_column) &&
                   is_multi_cell(c.type, user_types);
  }
  const auto rank = [](column_kind k) {
    switch (k) {
      case column_kind::partition_key: return 0;
      case column_kind::clustering: return 1;
      case column_kind::static_column: return 2;
      case column_kind::regular: return 3;
    }
    return 4;
  };
  std::sort(columns.begin(), columns.end(), [&](const column_def& a, const column_def& b) {
    if (rank(a.kind) != rank(b.kind)) {
      return rank(a.kind) < rank(b.kind);
    }
    if (a.position != b.position) {
      return a.position < b.position;
    }
    return a.name < b.name;
  });
  return table_def{std::move(keyspace), std::move(name), std::move(columns)};
}

select_layout layout_of(const table_def& t) {
  select_layout l;
  l.partition_key_columns = t.of_kind(column_kind::partition_key).size();
  l.key_columns = l.partition_key_columns + t.of_kind(column_kind::clustering).size();
  std::size_t next = l.key_columns;
  for (const auto& c : t.columns) {
    if (c.kind != column_kind::static_column && c.kind != column_kind::regular) {
      continue;
    }
    select_layout::value_column v;
    v.column = &c;
    v.value = next++;
    if (!c.multi_cell && !c.counter) {
      v.writetime = next++;
      v.ttl = next++;
    }
    l.values.push_back(v);
  }
  return l;
}

std::string copy_select(const table_def& t) {
  std::string cols;
  const auto add = [&](const std::string& s) { cols += (cols.empty() ? "" : ", ") + s; };
  for (const auto& c : t.columns) {
    if (c.kind == column_kind::partition_key || c.kind == column_kind::clustering) {
      add(quote(c.name));
    }
  }
  for (const auto& c : t.columns) {
    if (c.kind != column_kind::static_column && c.kind != column_kind::regular) {
      continue;
    }
    add(quote(c.name));
    if (!c.multi_cell && !c.counter) {
      add("WRITETIME(" + quote(c.name) + ")");
      add("TTL(" + quote(c.name) + ")");
    }
  }
  const std::string pk = join_names(t.of_kind(column_kind::partition_key), ", ");
  return "SELECT " + cols + " FROM " + t.qualified() + " WHERE token(" + pk + ") > ? AND token(" +
         pk + ") <= ?";
}

std::string partition_of(const select_layout& l, const protocol::result_row& row) {
  std::string out;
  for (std::size_t i = 0; i < l.partition_key_columns && i < row.size(); ++i) {
    const auto& cell = row[i];
    const std::size_t n = cell ? cell->size() : 0;
    out.append(reinterpret_cast<const char*>(&n), sizeof n);
    if (cell) {
      out.append(reinterpret_cast<const char*>(cell->data()), cell->size());
    }
  }
  return out;
}

std::vector<client::statement> writes_for_row(const table_def& t, const select_layout& l,
                                      const protocol::result_row& row, bool with_statics,
                                      std::int64_t undated_timestamp,
                                      std::int64_t list_timestamp) {
  std::vector<client::statement> out;
  const auto pk = t.of_kind(column_kind::partition_key);
  const auto ck = t.of_kind(column_kind::clustering);
  // A partition with static cells but no rows comes back as one row with null clustering.
  bool has_row = true;
  for (std::size_t i = l.partition_key_columns; i < l.key_columns; ++i) {
    has_row = has_row && row[i].has_value();
  }
  std::vector<const column_def*> key_cols(pk.begin(), pk.end());
  if (has_row) {
    key_cols.insert(key_cols.end(), ck.begin(), ck.end());
  }
  const std::size_t key_count = has_row ? l.key_columns : l.partition_key_columns;
  const auto key_values = [&] {
    std::vector<protocol::value> v;
    for (std::size_t i = 0; i < key_count; ++i) {
      v.push_back(protocol::value::of(*row[i]));
    }
    return v;
  };

  // Dated cells, grouped per (writetime, ttl).
  std::map<std::pair<std::int64_t, std::int32_t>, std::vector<const select_layout::value_column*>>
      groups;
  std::vector<const select_layout::value_column*> undated;
  for (const auto& v : l.values) {
    const bool is_static = v.column->kind == column_kind::static_column;
    if ((is_static && !with_statics) || (!is_static && !has_row) || !row[v.value]) {
      continue;  // nulls are never written: a null would become a tombstone
    }
    if (!v.writetime) {
      undated.push_back(&v);
      continue;
    }
    const auto wt = read_long(row[*v.writetime]);
    const auto ttl = read_int(row[*v.ttl]).value_or(0);
    if (!wt) {
      undated.push_back(&v);
      continue;
    }
    groups[{*wt, ttl}].push_back(&v);
  }
  for (const auto& [key, cols] : groups) {
    client::statement s;
    std::vector<const column_def*> names = key_cols;
    for (const auto* v : cols) {
      names.push_back(v->column);
    }
    s.cql = "INSERT INTO " + t.qualified() + " (" + join_names(names, ", ") + ") VALUES (" +
            markers(names.size()) + ") USING TIMESTAMP ? AND TTL ?";
    s.values = key_values();
    for (const auto* v : cols) {
      s.values.push_back(protocol::value::of(*row[v->value]));
    }
    s.values.push_back(long_value(key.first));
    s.values.push_back(int_value(key.second));
    out.push_back(std::move(s));
  }
  for (const auto* v : undated) {
    const bool is_static = v->column->kind == column_kind::static_column;
    const auto& where_cols = is_static ? pk : key_cols;
    std::string where;
    for (const auto* c : where_cols) {
      where += (where.empty() ? "" : " AND ") + quote(c->name) + " = ?";
    }
    const bool additive = starts_with(v->column->type, "set<") || starts_with(v->column->type, "map<");
    client::statement s;
    s.cql = "UPDATE " + t.qualified() + " USING TIMESTAMP ? SET " + quote(v->column->name) +
            " = " + (additive ? quote(v->column->name) + " + ?" : std::string("?")) + " WHERE " +
            where;
    const bool is_list = starts_with(v->column->type, "list<");
    s.values.push_back(long_value(is_list ? list_timestamp : undated_timestamp));
    s.values.push_back(protocol::value::of(*row[v->value]));
    for (std::size_t i = 0; i < where_cols.size(); ++i) {
      s.values.push_back(protocol::value::of(*row[i]));
    }
    out.push_back(std::move(s));
  }
  if (has_row && groups.empty()) {
    // No dated cell (a primary-key-only row, or only collections): the row marker at T0-1.
    client::statement s;
    s.cql = "INSERT INTO " + t.qualified() + " (" + join_names(key_cols, ", ") + ") VALUES (" +
            markers(key_cols.size()) + ") USING TIMESTAMP ?";
    s.values = key_values();
    s.values.push_back(long_value(undated_timestamp));
    out.push_back(std::move(s));
  }
  return out;
}

std::int64_t list_timestamp_at(std::int64_t t0, std::int64_t now_us) {
  constexpr std::int64_t window = std::int64_t{1} << 44;  // about 203 days
  const std::int64_t since = std::clamp<std::int64_t>(now_us - t0, 0, window - 3);
  return t0 - window + since;
}

std::string counter_read(const table_def& t) {
  std::vector<const column_def*> counters;
  for (const auto& c : t.columns) {
    if (c.counter) {
      counters.push_back(&c);
    }
  }
  std::vector<const column_def*> keys = t.of_kind(column_kind::partition_key);
  const auto ck = t.of_kind(column_kind::clustering);
  keys.insert(keys.end(), ck.begin(), ck.end());
  std::string where;
  for (const auto* c : keys) {
    where += (where.empty() ? "" : " AND ") + quote(c->name) + " = ?";
  }
  return "SELECT " + join_names(counters, ", ") + " FROM " + t.qualified() + " WHERE " + where;
}

std::optional<client::statement> counter_delta(const table_def& t, const select_layout& l,
                                       const protocol::result_row& source_row,
                                       const std::optional<protocol::result_row>& target_row) {
  client::statement s;
  std::string sets;
  std::size_t counter_index = 0;
  for (const auto& v : l.values) {
    if (!v.column->counter) {
      continue;
    }
    const auto source = read_long(source_row[v.value]).value_or(0);
    const auto target =
        target_row && counter_index < target_row->size() ? read_long((*target_row)[counter_index]).value_or(0) : 0;
    ++counter_index;
    if (source == target && target_row) {
      continue;  // already equal; an absent row is written even at 0, so that it exists
    }
    sets += (sets.empty() ? "" : ", ") + quote(v.column->name) + " = " + quote(v.column->name) + " + ?";
    s.values.push_back(long_value(source - target));
  }
  if (sets.empty()) {
    return std::nullopt;
  }
  std::string where;
  for (std::size_t i = 0; i < l.key_columns; ++i) {
    where += (where.empty() ? "" : " AND ") + quote(t.columns[i].name) + " = ?";
    s.values.push_back(protocol::value::of(*source_row[i]));
  }
  s.cql = "UPDATE " + t.qualified() + " SET " + sets + " WHERE " + where;
  return s;
}

}  // namespace tandem::backfill
