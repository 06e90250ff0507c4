#include "protocol/messages/result_metadata.hpp"

namespace tandem::protocol {
namespace {

// The smallest <col_spec_i>: an empty [string] name and a 2-byte [option] id, plus two empty
// [string]s (keyspace, table) when there is no global table spec.
constexpr std::size_t min_column_size_global = 2 + 2;
constexpr std::size_t min_column_size_per_column = 2 + 2 + 2 + 2;

bool has(std::int32_t flags, std::int32_t mask) noexcept { return (flags & mask) != 0; }

result<std::int32_t> read_count(wire_reader& r) noexcept {
  TANDEM_TRY(auto n, r.read_int());
  if (n < 0) {
    return errc::negative_length;
  }
  return n;
}

// Reads [<global_table_spec>]<col_spec_1>...<col_spec_count>.
result<std::vector<column_spec>> read_column_specs(wire_reader& r, std::int32_t count,
                                                  bool global) {
  std::string global_keyspace;
  std::string global_table;
  if (global) {
    TANDEM_TRY(auto ks, r.read_string());
    TANDEM_TRY(auto table, r.read_string());
    global_keyspace = ks;
    global_table = table;
  }
  // A hostile count must not reserve memory the bytes that are there could not fill.
  const std::size_t min_size = global ? min_column_size_global : min_column_size_per_column;
  if (static_cast<std::size_t>(count) > r.remaining() / min_size) {
    return errc::truncated;
  }
  std::vector<column_spec> columns;
  columns.reserve(static_cast<std::size_t>(count));
  for (std::int32_t i = 0; i < count; ++i) {
    column_spec c;
    if (global) {
      c.keyspace = global_keyspace;
      c.table = global_table;
    } else {
      TANDEM_TRY(auto ks, r.read_string());
      TANDEM_TRY(auto table, r.read_string());
      c.keyspace = ks;
      c.table = table;
    }
    TANDEM_TRY(auto name, r.read_string());
    c.name = name;
    TANDEM_TRY(c.type, r.read_option());
    columns.push_back(std::move(c));
  }
  return columns;
}

bool share_one_table(const std::vector<column_spec>& columns) noexcept {
  for (const auto& c : columns) {
    if (c.keyspace != columns.front().keyspace || c.table != columns.front().table) {
      return false;
    }
  }
  return true;
}

// The global flag survives only if one table spec can describe every column.
std::int32_t honour_global_flag(std::int32_t flags, const std::vector<column_spec>& columns) {
  if (has(flags, metadata_flags::global_tables_spec) && !share_one_table(columns)) {
    return flags & ~metadata_flags::global_tables_spec;
  }
  return flags;
}

void write_column_specs(wire_writer& w, const std::vector<column_spec>& columns, bool global) {
  if (global) {
    // With no columns the decoded form has lost the table spec: write empty names.
    w.write_string(columns.empty() ? std::string_view{} : columns.front().keyspace);
    w.write_string(columns.empty() ? std::string_view{} : columns.front().table);
  }
  for (const auto& c : columns) {
    if (!global) {
      w.write_string(c.keyspace);
      w.write_string(c.table);
    }
    w.write_string(c.name);
    w.write_option(c.type);
  }
}

}  // namespace

result<rows_metadata> decode_rows_metadata(wire_reader& r, protocol_version v) {
  rows_metadata m;
  TANDEM_TRY(m.flags, r.read_int());
  TANDEM_TRY(m.column_count, read_count(r));
  if (has(m.flags, metadata_flags::has_more_pages)) {
    TANDEM_TRY(auto state, r.read_bytes());
    m.paging_state.emplace();
    if (state) {
      m.paging_state->assign(state->begin(), state->end());
    }
  }
  // spec v5 §4.2.5.2: <new_metadata_id> follows <paging_state>. The bit means nothing before v5.
  if (v >= protocol_version::v5 && has(m.flags, metadata_flags::metadata_changed)) {
    TANDEM_TRY(auto id, r.read_short_bytes());
    m.new_metadata_id.emplace(id.begin(), id.end());
  }
  if (!m.has_no_metadata()) {
    TANDEM_TRY(m.columns, read_column_specs(r, m.column_count,
                                            has(m.flags, metadata_flags::global_tables_spec)));
  }
  return m;
}

void encode_rows_metadata(wire_writer& w, const rows_metadata& m, protocol_version v) {
  std::int32_t flags = m.flags & ~metadata_flags::has_more_pages;
  if (m.paging_state) {
    flags |= metadata_flags::has_more_pages;
  }
  const bool v5 = v >= protocol_version::v5;
  if (v5) {
    flags &= ~metadata_flags::metadata_changed;
    if (m.new_metadata_id) {
      flags |= metadata_flags::metadata_changed;
    }
  }
  const bool no_metadata = m.has_no_metadata();
  if (!no_metadata) {
    flags = honour_global_flag(flags, m.columns);
  }
  w.write_int(flags);
  w.write_int(no_metadata ? m.column_count : static_cast<std::int32_t>(m.columns.size()));
  if (m.paging_state) {
    w.write_bytes(bytes_view{*m.paging_state});
  }
  if (v5 && m.new_metadata_id) {
    w.write_short_bytes(*m.new_metadata_id);
  }
  if (!no_metadata) {
    write_column_specs(w, m.columns, has(flags, metadata_flags::global_tables_spec));
  }
}

result<prepared_metadata> decode_prepared_metadata(wire_reader& r, protocol_version v) {
  prepared_metadata m;
  TANDEM_TRY(m.flags, r.read_int());
  TANDEM_TRY(auto column_count, read_count(r));
  // spec v4 §10: the partition-key indexes are new in v4.
  if (v >= protocol_version::v4) {
    TANDEM_TRY(auto pk_count, read_count(r));
    if (static_cast<std::size_t>(pk_count) > r.remaining() / 2) {
      return errc::truncated;
    }
    m.pk_indexes.reserve(static_cast<std::size_t>(pk_count));
    for (std::int32_t i = 0; i < pk_count; ++i) {
      TANDEM_TRY(auto index, r.read_short());
      m.pk_indexes.push_back(index);
    }
  }
  TANDEM_TRY(m.columns, read_column_specs(r, column_count,
                                          has(m.flags, metadata_flags::global_tables_spec)));
  return m;
}

void encode_prepared_metadata(wire_writer& w, const prepared_metadata& m, protocol_version v) {
  const std::int32_t flags = honour_global_flag(m.flags, m.columns);
  w.write_int(flags);
  w.write_int(static_cast<std::int32_t>(m.columns.size()));
  if (v >= protocol_version::v4) {
    w.write_int(static_cast<std::int32_t>(m.pk_indexes.size()));
    for (auto index : m.pk_indexes) {
      w.write_short(index);
    }
  }
  write_column_specs(w, m.columns, has(flags, metadata_flags::global_tables_spec));
}

}  // namespace tandem::protocol
