// BATCH (spec v4 §4.1.7, spec v5 §4.1.7):
//   <type><n><query_1>...<query_n><consistency><flags>[<serial_consistency>][<timestamp>]
//   [<keyspace>][<now_in_seconds>]            (keyspace, now_in_seconds: v5)
// with <query_i> = <kind><string_or_id><n><value_1>...<value_n>.
// Flags are a [byte] in v3/v4, an [int] in v5. The 4 rightmost bits must be 0 (spec), and the
// names-for-values flag 0x40 is rejected: the spec says it "does not work and should not be
// used" (CASSANDRA-10246) — the flag comes after the children whose values it would name, so no
// reader can know whether names are there. Children are therefore always read without names.
// A request: the decoder rejects bytes after the content with errc::trailing_bytes.
#pragma once

#include "protocol/error.hpp"
#include "protocol/types.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tandem::protocol {

enum class batch_type : std::uint8_t { logged = 0, unlogged = 1, counter = 2 };

enum class batch_child_kind : std::uint8_t { query = 0, prepared = 1 };

struct batch_child {
  batch_child_kind kind = batch_child_kind::query;
  std::string query;  // kind == query: a [long string]; empty otherwise
  bytes id;           // kind == prepared: the prepared id, a [short bytes]; empty otherwise
  std::vector<value> values;

  friend bool operator==(const batch_child&, const batch_child&) = default;
};

struct batch_message {
  batch_type type = batch_type::logged;
  std::vector<batch_child> children;
  consistency consistency_level = consistency::one;
  std::optional<consistency> serial_consistency;  // flag 0x10
  std::optional<std::int64_t> default_timestamp;  // flag 0x20, microseconds
  std::optional<std::string> keyspace;           // flag 0x80, v5 only
  std::optional<std::int32_t> now_in_seconds;    // flag 0x100, v5 only

  friend bool operator==(const batch_message&, const batch_message&) = default;
};

// The flag bits BATCH accepts in version v (0x10, 0x20, and 0x80, 0x100 in v5).
std::uint32_t known_batch_flags(protocol_version v) noexcept;

// Errors: truncated, negative_length, trailing_bytes, bad_value (batch type or child kind out
// of range, unknown or forbidden flag bit, invalid consistency, unset value in v3).
result<batch_message> decode_batch(bytes_view body, protocol_version v);
// Fields the version does not have (keyspace, now_in_seconds before v5) are not written.
bytes encode_batch(const batch_message& m, protocol_version v);

}  // namespace tandem::protocol
