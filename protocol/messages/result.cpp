#include "protocol/messages/result.hpp"

#include <array>
#include <string_view>

namespace tandem::protocol {
namespace {

// The smallest cell: a [bytes] is at least its 4-byte length.
constexpr std::size_t min_cell_size = 4;

constexpr std::array<std::string_view, 5> target_names = {"KEYSPACE", "TABLE", "TYPE",
                                                          "FUNCTION", "AGGREGATE"};

result<schema_change_target> parse_target(std::string_view s, protocol_version v) noexcept {
  for (std::size_t i = 0; i < target_names.size(); ++i) {
    if (s == target_names[i]) {
      const auto target = static_cast<schema_change_target>(i);
      const bool v4_only = target == schema_change_target::function ||
                           target == schema_change_target::aggregate;
      if (v4_only && v < protocol_version::v4) {
        return errc::bad_value;
      }
      return target;
    }
  }
  return errc::bad_value;
}

result<rows_result> decode_rows(wire_reader& r, protocol_version v) {
  rows_result out;
  TANDEM_TRY(out.metadata, decode_rows_metadata(r, v));
  TANDEM_TRY(auto row_count, r.read_int());
  if (row_count < 0) {
    return errc::negative_length;
  }
  const auto columns = static_cast<std::size_t>(out.metadata.column_count);
  const auto rows = static_cast<std::size_t>(row_count);
  if (rows > 0 && columns == 0) {
    // Rows of no cells take no bytes, so nothing in the input bounds their count.
    return errc::bad_value;
  }
  // Every cell takes at least 4 bytes: check the counts against the bytes that are there
  // before reserving anything (a hostile 2^31 rows must fail here, not in the allocator).
  if (rows > 0 && rows > r.remaining() / (columns * min_cell_size)) {
    return errc::truncated;
  }
  out.rows.reserve(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    result_row cells;
    cells.reserve(columns);
    for (std::size_t j = 0; j < columns; ++j) {
      TANDEM_TRY(auto cell, r.read_bytes());
      if (cell) {
        cells.emplace_back(std::in_place, cell->begin(), cell->end());
      } else {
        cells.emplace_back(std::nullopt);
      }
    }
    out.rows.push_back(std::move(cells));
  }
  return out;
}

void encode_rows(wire_writer& w, const rows_result& m, protocol_version v) {
  encode_rows_metadata(w, m.metadata, v);
  w.write_int(static_cast<std::int32_t>(m.rows.size()));
  for (const auto& cells : m.rows) {
    for (const auto& cell : cells) {
      if (cell) {
        w.write_bytes(bytes_view{*cell});
      } else {
        w.write_bytes(std::nullopt);
      }
    }
  }
}

result<prepared_result> decode_prepared(wire_reader& r, protocol_version v) {
  prepared_result out;
  TANDEM_TRY(auto id, r.read_short_bytes());
  out.id.assign(id.begin(), id.end());
  // spec v5 §4.2.5.4: <result_metadata_id> follows <id>; it is new in v5 (spec v5 §9).
  if (v >= protocol_version::v5) {
    TANDEM_TRY(auto metadata_id, r.read_short_bytes());
    out.result_metadata_id.assign(metadata_id.begin(), metadata_id.end());
  }
  TANDEM_TRY(out.metadata, decode_prepared_metadata(r, v));
  TANDEM_TRY(out.result_metadata, decode_rows_metadata(r, v));
  return out;
}

void encode_prepared(wire_writer& w, const prepared_result& m, protocol_version v) {
  w.write_short_bytes(m.id);
  if (v >= protocol_version::v5) {
    w.write_short_bytes(m.result_metadata_id);
  }
  encode_prepared_metadata(w, m.metadata, v);
  encode_rows_metadata(w, m.result_metadata, v);
}

}  // namespace

result<schema_change> decode_schema_change(wire_reader& r, protocol_version v) {
  schema_change c;
  TANDEM_TRY(auto change_type, r.read_string());
  TANDEM_TRY(auto target_name, r.read_string());
  TANDEM_TRY(c.target, parse_target(target_name, v));
  c.change_type = change_type;
  TANDEM_TRY(auto keyspace, r.read_string());
  c.keyspace = keyspace;
  if (c.target == schema_change_target::keyspace) {
    return c;
  }
  TANDEM_TRY(auto name, r.read_string());
  c.name = name;
  if (c.target == schema_change_target::function || c.target == schema_change_target::aggregate) {
    TANDEM_TRY(c.argument_types, r.read_string_list());
  }
  return c;
}

void encode_schema_change(wire_writer& w, const schema_change& c, protocol_version v) {
  const bool function_like =
      c.target == schema_change_target::function || c.target == schema_change_target::aggregate;
  if (function_like && v < protocol_version::v4) {
    // v3 has no FUNCTION/AGGREGATE targets; Cassandra tells a v3 client the keyspace changed.
    w.write_string("UPDATED");
    w.write_string(target_names[static_cast<std::size_t>(schema_change_target::keyspace)]);
    w.write_string(c.keyspace);
    return;
  }
  w.write_string(c.change_type);
  w.write_string(target_names[static_cast<std::size_t>(c.target)]);
  w.write_string(c.keyspace);
  if (c.target == schema_change_target::keyspace) {
    return;
  }
  w.write_string(c.name);
  if (function_like) {
    w.write_string_list(c.argument_types);
  }
}

result_kind kind_of(const result_message& m) noexcept {
  switch (m.index()) {
    case 0: return result_kind::void_;
    case 1: return result_kind::rows;
    case 2: return result_kind::set_keyspace;
    case 3: return result_kind::prepared;
    default: return result_kind::schema_change;
  }
}

result<result_message> decode_result(bytes_view body, protocol_version v) {
  wire_reader r(body);
  TANDEM_TRY(auto kind, r.read_int());
  switch (static_cast<result_kind>(kind)) {
    case result_kind::void_:
      return result_message{void_result{}};
    case result_kind::rows: {
      TANDEM_TRY(auto rows, decode_rows(r, v));
      return result_message{std::move(rows)};
    }
    case result_kind::set_keyspace: {
      TANDEM_TRY(auto keyspace, r.read_string());
      return result_message{set_keyspace_result{std::string(keyspace)}};
    }
    case result_kind::prepared: {
      TANDEM_TRY(auto prepared, decode_prepared(r, v));
      return result_message{std::move(prepared)};
    }
    case result_kind::schema_change: {
      TANDEM_TRY(auto change, decode_schema_change(r, v));
      return result_message{std::move(change)};
    }
  }
  return errc::bad_value;
}

bytes encode_result(const result_message& m, protocol_version v) {
  wire_writer w;
  w.write_int(static_cast<std::int32_t>(kind_of(m)));
  if (const auto* rows = std::get_if<rows_result>(&m)) {
    encode_rows(w, *rows, v);
  } else if (const auto* keyspace = std::get_if<set_keyspace_result>(&m)) {
    w.write_string(keyspace->keyspace);
  } else if (const auto* prepared = std::get_if<prepared_result>(&m)) {
    encode_prepared(w, *prepared, v);
  } else if (const auto* change = std::get_if<schema_change>(&m)) {
    encode_schema_change(w, *change, v);
  }
  return w.take();
}

}  // namespace tandem::protocol
