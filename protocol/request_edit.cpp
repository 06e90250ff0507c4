#include "protocol/request_edit.hpp"

#include "protocol/buffer_pool.hpp"

#include "protocol/messages/batch.hpp"
#include "protocol/messages/query_parameters.hpp"
#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"

#include <algorithm>
#include <array>
#include <limits>

namespace tandem::protocol {
namespace {

// The longest [short bytes] or [string]: its length is an unsigned [short].
constexpr std::size_t max_short_bytes = std::numeric_limits<std::uint16_t>::max();

// Skips the fields QUERY/EXECUTE parameters and BATCH share at their end, in their common
// order (spec v5 §4.1.4, §4.1.7): serial consistency, timestamp, keyspace, now_in_seconds.
// Returns where the timestamp is or would go.
result<std::size_t> scan_parameter_tail(wire_reader& r, std::uint32_t flag_bits) {
  if ((flag_bits & query_flags::serial_consistency) != 0) {
    TANDEM_TRY_VOID(r.read_consistency());
  }
  const std::size_t timestamp = r.position();
  if ((flag_bits & query_flags::default_timestamp) != 0) {
    TANDEM_TRY_VOID(r.read_long());
  }
  if ((flag_bits & query_flags::keyspace) != 0) {
    TANDEM_TRY_VOID(r.read_string());
  }
  if ((flag_bits & query_flags::now_in_seconds) != 0) {
    TANDEM_TRY_VOID(r.read_int());
  }
  return timestamp;
}

// Skips <query_parameters> (spec v5 §4.1.4) at the reader's position, recording offsets. Reads
// and checks the fields in the same order as decode_query_parameters, so both fail alike.
result<parameter_locations> scan_query_parameters(wire_reader& r, protocol_version v) {
  parameter_locations loc;
  loc.consistency = r.position();
  TANDEM_TRY_VOID(r.read_consistency());
  loc.flags = r.position();
  TANDEM_TRY(loc.flag_bits, read_request_flags(r, v));
  loc.flags_size = r.position() - loc.flags;
  if ((loc.flag_bits & ~known_query_flags(v)) != 0) {
    return errc::bad_value;
  }
  if ((loc.flag_bits & query_flags::values) != 0) {
    loc.value_count = r.position();
    TANDEM_TRY(loc.values, r.read_short());
    const bool named = (loc.flag_bits & query_flags::names_for_values) != 0;
    for (std::uint16_t i = 0; i < loc.values; ++i) {
      if (named) {
        TANDEM_TRY_VOID(r.read_string());
      }
      TANDEM_TRY_VOID(read_bound_value(r, v));
    }
  }
  loc.values_end = r.position();
  if ((loc.flag_bits & query_flags::page_size) != 0) {
    TANDEM_TRY_VOID(r.read_int());
  }
  if ((loc.flag_bits & query_flags::paging_state) != 0) {
    TANDEM_TRY(auto state, r.read_bytes());
    if (!state) {
      return errc::bad_value;
    }
  }
  TANDEM_TRY(loc.timestamp, scan_parameter_tail(r, loc.flag_bits));
  loc.end = r.position();
  return loc;
}

// A BATCH body's parameter block and where each prepared child's [short bytes] id starts.
struct batch_layout {
  parameter_locations params;
  std::vector<std::size_t> prepared_ids;
};

// Skips the children of a BATCH (spec v5 §4.1.7), in the order decode_batch reads them.
result<std::vector<std::size_t>> scan_batch_children(wire_reader& r, protocol_version v) {
  TANDEM_TRY(auto type, r.read_byte());
  if (type > 2) {
    return errc::bad_value;
  }
  TANDEM_TRY(auto n, r.read_short());
  std::vector<std::size_t> ids;
  for (std::uint16_t i = 0; i < n; ++i) {
    TANDEM_TRY(auto kind, r.read_byte());
    if (kind > 1) {
      return errc::bad_value;
    }
    if (kind == static_cast<std::uint8_t>(batch_child_kind::query)) {
      TANDEM_TRY_VOID(r.read_long_string());
    } else {
      ids.push_back(r.position());
      TANDEM_TRY_VOID(r.read_short_bytes());
    }
    TANDEM_TRY(auto count, r.read_short());
    for (std::uint16_t j = 0; j < count; ++j) {
      TANDEM_TRY_VOID(read_bound_value(r, v));
    }
  }
  return ids;
}

result<batch_layout> scan_batch(protocol_version v, bytes_view body) {
  wire_reader r(body);
  batch_layout out;
  TANDEM_TRY(out.prepared_ids, scan_batch_children(r, v));
  auto& loc = out.params;
  loc.consistency = r.position();
  TANDEM_TRY_VOID(r.read_consistency());
  loc.flags = r.position();
  TANDEM_TRY(loc.flag_bits, read_request_flags(r, v));
  loc.flags_size = r.position() - loc.flags;
  if ((loc.flag_bits & ~known_batch_flags(v)) != 0) {
    return errc::bad_value;
  }
  loc.values_end = r.position();
  TANDEM_TRY(loc.timestamp, scan_parameter_tail(r, loc.flag_bits));
  if (!r.empty()) {
    return errc::trailing_bytes;
  }
  loc.end = r.position();
  return out;
}

// QUERY: <query><query_parameters>; EXECUTE: <id>[<result_metadata_id>]<query_parameters>.
result<parameter_locations> scan_single(opcode op, protocol_version v, bytes_view body) {
  wire_reader r(body);
  if (op == opcode::query) {
    TANDEM_TRY_VOID(r.read_long_string());
  } else {
    TANDEM_TRY_VOID(r.read_short_bytes());
    if (v == protocol_version::v5) {
      TANDEM_TRY_VOID(r.read_short_bytes());
    }
  }
  TANDEM_TRY(auto loc, scan_query_parameters(r, v));
  if (!r.empty()) {
    return errc::trailing_bytes;
  }
  return loc;
}

// The body with its <flags> field rewritten to `flags` and `insert` placed at offset `at`
// (at >= the end of the flags field).
bytes splice(bytes_view body, const parameter_locations& loc, protocol_version v,
             std::uint32_t flags, std::size_t at, bytes_view insert) {
  // One allocation: the flags field keeps its size, so the result is body + insert long
  // (issue 17: the writer grew its buffer five times per mirrored EXECUTE).
  bytes out = buffer_pool::take();
  out.reserve(body.size() + insert.size());
  wire_writer w(std::move(out));
  w.write_raw(body.first(loc.flags));
  write_request_flags(w, flags, v);
  w.write_raw(body.subspan(loc.flags + loc.flags_size, at - loc.flags - loc.flags_size));
  w.write_raw(insert);
  w.write_raw(body.subspan(at));
  return w.take();
}

}  // namespace

result<parameter_locations> locate_parameters(opcode op, protocol_version v, bytes_view body) {
  switch (op) {
    case opcode::query:
    case opcode::execute:
      return scan_single(op, v, body);
    case opcode::batch: {
      TANDEM_TRY(auto layout, scan_batch(v, body));
      return layout.params;
    }
    default:
      return errc::not_a_request_with_parameters;
  }
}

result<value_view> bound_value_at(bytes_view body, const parameter_locations& loc,
                                  protocol_version v, std::size_t index) {
  if ((loc.flag_bits & query_flags::names_for_values) != 0 || !loc.value_count ||
      index >= loc.values || *loc.value_count + 2 > body.size()) {
    return errc::bad_value;
  }
  wire_reader r(body.subspan(*loc.value_count + 2));  // after the [short] count
  for (std::size_t i = 0;; ++i) {
    TANDEM_TRY(auto value, read_bound_value(r, v));
    if (i == index) {
      return value;
    }
  }
}

result<std::optional<std::int64_t>> read_default_timestamp(opcode op, protocol_version v,
                                                           bytes_view body) {
  TANDEM_TRY(auto loc, locate_parameters(op, v, body));
  return read_default_timestamp(body, loc);
}

result<std::optional<std::int64_t>> read_default_timestamp(bytes_view body,
                                                           const parameter_locations& loc) {
  if ((loc.flag_bits & query_flags::default_timestamp) == 0) {
    return std::optional<std::int64_t>{};
  }
  wire_reader r(body.subspan(loc.timestamp));
  TANDEM_TRY(auto ts, r.read_long());
  return std::optional<std::int64_t>{ts};
}

result<bytes> with_default_timestamp(opcode op, protocol_version v, bytes_view body,
                                     std::int64_t ts) {
  TANDEM_TRY(auto loc, locate_parameters(op, v, body));
  return with_default_timestamp(v, body, loc, ts);
}

bytes with_default_timestamp(protocol_version v, bytes_view body, const parameter_locations& loc,
                             std::int64_t ts) {
  // [long]: 8 bytes, big-endian (spec v4 §3), on the stack.
  std::array<std::byte, 8> stamp{};
  for (std::size_t i = 0; i < stamp.size(); ++i) {
    stamp[i] = static_cast<std::byte>(static_cast<std::uint64_t>(ts) >> (56 - 8 * i));
  }
  if ((loc.flag_bits & query_flags::default_timestamp) != 0) {
    bytes out = buffer_pool::take();
    out.assign(body.begin(), body.end());
    std::copy(stamp.begin(), stamp.end(), out.begin() + static_cast<std::ptrdiff_t>(loc.timestamp));
    return out;
  }
  return splice(body, loc, v, loc.flag_bits | query_flags::default_timestamp, loc.timestamp,
                stamp);
}

result<bytes> with_prepared_id(protocol_version v, bytes_view execute_body, bytes_view new_id,
                               std::optional<bytes_view> new_result_metadata_id,
                               bytes_view prefix) {
  TANDEM_TRY(auto loc, scan_single(opcode::execute, v, execute_body));
  return with_prepared_id(v, execute_body, loc, new_id, new_result_metadata_id, prefix);
}

result<bytes> with_prepared_id(protocol_version v, bytes_view execute_body,
                               const parameter_locations& loc, bytes_view new_id,
                               std::optional<bytes_view> new_result_metadata_id,
                               bytes_view prefix) {
  if (new_id.size() > max_short_bytes ||
      (new_result_metadata_id && new_result_metadata_id->size() > max_short_bytes)) {
    return errc::bad_value;
  }
  if (new_result_metadata_id && v != protocol_version::v5) {
    return errc::bad_value;
  }
  wire_reader r(execute_body);
  TANDEM_TRY(auto old_id, r.read_short_bytes());
  // One allocation of the exact size (the ids' lengths differ by at most their own size).
  if (loc.consistency > execute_body.size()) {
    return errc::bad_value;  // not this body's locations
  }
  bytes out = buffer_pool::take();
  out.reserve(prefix.size() + execute_body.size() - old_id.size() + new_id.size() +
              (new_result_metadata_id ? new_result_metadata_id->size() : 0));
  out.insert(out.end(), prefix.begin(), prefix.end());
  wire_writer w(std::move(out));
  w.write_short_bytes(new_id);
  if (v == protocol_version::v5) {
    TANDEM_TRY(auto old_meta, r.read_short_bytes());
    w.write_short_bytes(new_result_metadata_id ? *new_result_metadata_id : old_meta);
  }
  w.write_raw(execute_body.subspan(loc.consistency));
  return w.take();
}

result<std::vector<bytes_view>> batch_prepared_ids(protocol_version v, bytes_view batch_body) {
  TANDEM_TRY(auto layout, scan_batch(v, batch_body));
  std::vector<bytes_view> ids;
  ids.reserve(layout.prepared_ids.size());
  for (auto at : layout.prepared_ids) {
    wire_reader r(batch_body.subspan(at));
    TANDEM_TRY(auto id, r.read_short_bytes());
    ids.push_back(id);
  }
  return ids;
}

result<bytes> with_batch_prepared_ids(
    protocol_version v, bytes_view batch_body,
    const std::function<std::optional<bytes>(bytes_view old_id)>& map) {
  TANDEM_TRY(auto layout, scan_batch(v, batch_body));
  wire_writer w;
  std::size_t copied = 0;  // batch_body before this offset is already in w
  for (auto at : layout.prepared_ids) {
    wire_reader r(batch_body.subspan(at));
    TANDEM_TRY(auto old_id, r.read_short_bytes());
    auto new_id = map(old_id);
    if (!new_id) {
      continue;
    }
    if (new_id->size() > max_short_bytes) {
      return errc::bad_value;
    }
    w.write_raw(batch_body.subspan(copied, at - copied));
    w.write_short_bytes(*new_id);
    copied = at + r.position();
  }
  w.write_raw(batch_body.subspan(copied));
  return w.take();
}

result<bytes> with_appended_value(opcode op, protocol_version v, bytes_view body,
                                  bytes_view new_value, std::optional<std::string_view> name) {
  if (op != opcode::query && op != opcode::execute) {
    return errc::not_a_request_with_parameters;
  }
  TANDEM_TRY(auto loc, scan_single(op, v, body));
  // Flag 0x40 names every value, so the new one needs a name too, and only then (spec v5
  // §4.1.4). It applies even when 0x01 was not set yet: setting 0x01 makes it take effect.
  const bool named = (loc.flag_bits & query_flags::names_for_values) != 0;
  if (named != name.has_value() || loc.values == std::numeric_limits<std::uint16_t>::max() ||
      new_value.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()) ||
      (name && name->size() > max_short_bytes)) {
    return errc::bad_value;
  }
  wire_writer extra;
  if (name) {
    extra.write_string(*name);
  }
  extra.write_bytes(new_value);
  if (!loc.value_count) {
    // No values yet: set flag 0x01 and put a count of 1 right after <flags>.
    wire_writer counted;
    counted.write_short(1);
    counted.write_raw(extra.data());
    return splice(body, loc, v, loc.flag_bits | query_flags::values, loc.values_end,
                  counted.data());
  }
  wire_writer w;
  w.write_raw(body.first(*loc.value_count));
  w.write_short(static_cast<std::uint16_t>(loc.values + 1));
  const std::size_t after_count = *loc.value_count + 2;
  w.write_raw(body.subspan(after_count, loc.values_end - after_count));
  w.write_raw(extra.data());
  w.write_raw(body.subspan(loc.values_end));
  return w.take();
}

}  // namespace tandem::protocol
