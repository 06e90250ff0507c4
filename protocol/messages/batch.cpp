#include "protocol/messages/batch.hpp"

#include "protocol/messages/query_parameters.hpp"
#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"

#include <algorithm>

namespace tandem::protocol {

std::uint32_t known_batch_flags(protocol_version v) noexcept {
  // The 4 rightmost bits "must always be 0" and 0x40 "should not be used" (spec v5 §4.1.7).
  std::uint32_t known = query_flags::serial_consistency | query_flags::default_timestamp;
  if (v == protocol_version::v5) {
    known |= query_flags::keyspace | query_flags::now_in_seconds;
  }
  return known;
}

namespace {

// <kind><string_or_id><n><value_1>...<value_n> (spec v5 §4.1.7), without names (see batch.hpp).
result<batch_child> read_child(wire_reader& r, protocol_version v) {
  batch_child c;
  TANDEM_TRY(auto kind, r.read_byte());
  if (kind > 1) {
    return errc::bad_value;
  }
  c.kind = static_cast<batch_child_kind>(kind);
  if (c.kind == batch_child_kind::query) {
    TANDEM_TRY(auto text, r.read_long_string());
    c.query = text;
  } else {
    TANDEM_TRY(auto id, r.read_short_bytes());
    c.id.assign(id.begin(), id.end());
  }
  TANDEM_TRY(auto n, r.read_short());
  // A value takes at least 4 bytes: reserve no more than the input can hold.
  c.values.reserve(std::min<std::size_t>(n, r.remaining() / 4));
  for (std::uint16_t i = 0; i < n; ++i) {
    TANDEM_TRY(auto val, read_bound_value(r, v));
    c.values.push_back(value{val.state, bytes(val.data.begin(), val.data.end())});
  }
  return c;
}

void write_child(wire_writer& w, const batch_child& c) {
  w.write_byte(static_cast<std::uint8_t>(c.kind));
  if (c.kind == batch_child_kind::query) {
    w.write_long_string(c.query);
  } else {
    w.write_short_bytes(c.id);
  }
  w.write_short(static_cast<std::uint16_t>(c.values.size()));
  for (const auto& val : c.values) {
    w.write_value(val);
  }
}

std::uint32_t batch_flags(const batch_message& m, protocol_version v) noexcept {
  std::uint32_t flags = 0;
  if (m.serial_consistency) {
    flags |= query_flags::serial_consistency;
  }
  if (m.default_timestamp) {
    flags |= query_flags::default_timestamp;
  }
  if (v == protocol_version::v5 && m.keyspace) {
    flags |= query_flags::keyspace;
  }
  if (v == protocol_version::v5 && m.now_in_seconds) {
    flags |= query_flags::now_in_seconds;
  }
  return flags;
}

// <consistency><flags>[<serial_consistency>][<timestamp>][<keyspace>][<now_in_seconds>]:
// a message with only these fields filled in.
result<batch_message> read_batch_tail(wire_reader& r, protocol_version v) {
  batch_message m;
  TANDEM_TRY(m.consistency_level, r.read_consistency());
  TANDEM_TRY(auto flags, read_request_flags(r, v));
  if ((flags & ~known_batch_flags(v)) != 0) {
    return errc::bad_value;
  }
  if ((flags & query_flags::serial_consistency) != 0) {
    TANDEM_TRY(m.serial_consistency, r.read_consistency());
  }
  if ((flags & query_flags::default_timestamp) != 0) {
    TANDEM_TRY(m.default_timestamp, r.read_long());
  }
  if ((flags & query_flags::keyspace) != 0) {
    TANDEM_TRY(auto ks, r.read_string());
    m.keyspace.emplace(ks);
  }
  if ((flags & query_flags::now_in_seconds) != 0) {
    TANDEM_TRY(m.now_in_seconds, r.read_int());
  }
  return m;
}

}  // namespace

result<batch_message> decode_batch(bytes_view body, protocol_version v) {
  wire_reader r(body);
  TANDEM_TRY(auto type, r.read_byte());
  if (type > 2) {
    return errc::bad_value;
  }
  TANDEM_TRY(auto n, r.read_short());
  std::vector<batch_child> children;
  // A child takes at least 5 bytes (kind, an empty [short bytes] id, a [short] count).
  children.reserve(std::min<std::size_t>(n, r.remaining() / 5));
  for (std::uint16_t i = 0; i < n; ++i) {
    TANDEM_TRY(auto child, read_child(r, v));
    children.push_back(std::move(child));
  }
  TANDEM_TRY(auto m, read_batch_tail(r, v));
  m.type = static_cast<batch_type>(type);
  m.children = std::move(children);
  if (!r.empty()) {
    return errc::trailing_bytes;
  }
  return m;
}

bytes encode_batch(const batch_message& m, protocol_version v) {
  wire_writer w;
  w.write_byte(static_cast<std::uint8_t>(m.type));
  w.write_short(static_cast<std::uint16_t>(m.children.size()));
  for (const auto& c : m.children) {
    write_child(w, c);
  }
  const std::uint32_t flags = batch_flags(m, v);
  w.write_consistency(m.consistency_level);
  write_request_flags(w, flags, v);
  if (m.serial_consistency) {
    w.write_consistency(*m.serial_consistency);
  }
  if (m.default_timestamp) {
    w.write_long(*m.default_timestamp);
  }
  if ((flags & query_flags::keyspace) != 0) {
    w.write_string(*m.keyspace);
  }
  if ((flags & query_flags::now_in_seconds) != 0) {
    w.write_int(*m.now_in_seconds);
  }
  return w.take();
}

}  // namespace tandem::protocol
