// <query_parameters> of QUERY and EXECUTE (spec v4 §4.1.4, spec v5 §4.1.4):
//   <consistency><flags>[<n>[name_1]<value_1>...][<result_page_size>][<paging_state>]
//   [<serial_consistency>][<timestamp>][<keyspace>][<now_in_seconds>]
// <flags> is a [byte] in v3/v4 and an [int] in v5. The struct keeps only what the flags
// announce: an optional field is present exactly when its flag is set, so the flags are derived
// on encode and cannot disagree with the fields.
#pragma once

#include "protocol/error.hpp"
#include "protocol/types.hpp"
#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tandem::protocol {

// Flag masks of <query_parameters> (spec v5 §4.1.4). BATCH uses the same masks from 0x10 up
// (spec v5 §4.1.7).
namespace query_flags {
inline constexpr std::uint32_t values = 0x0001;
inline constexpr std::uint32_t skip_metadata = 0x0002;
inline constexpr std::uint32_t page_size = 0x0004;
inline constexpr std::uint32_t paging_state = 0x0008;
inline constexpr std::uint32_t serial_consistency = 0x0010;
inline constexpr std::uint32_t default_timestamp = 0x0020;
inline constexpr std::uint32_t names_for_values = 0x0040;
inline constexpr std::uint32_t keyspace = 0x0080;        // v5 only
inline constexpr std::uint32_t now_in_seconds = 0x0100;  // v5 only
}  // namespace query_flags

// The flag bits a version defines for <query_parameters>. Any other bit is rejected on decode:
// it could announce a field we do not know how to skip, and then every later offset is wrong.
std::uint32_t known_query_flags(protocol_version v) noexcept;

struct query_parameters {
  consistency consistency_level = consistency::one;
  // Bound values, in order. Unset values (length -2) exist from v4 on (spec v4 §3).
  std::vector<value> values;
  // Flag 0x40: each value is preceded by the [string] name of its bind marker. When true,
  // names.size() == values.size(); when false, names is empty. Kept as a flag of its own
  // because a client may set it with no values at all.
  bool names_for_values = false;
  std::vector<std::string> names;
  bool skip_metadata = false;                    // flag 0x02
  std::optional<std::int32_t> page_size;         // flag 0x04
  std::optional<bytes> paging_state;             // flag 0x08 (a null paging state is rejected)
  std::optional<consistency> serial_consistency;  // flag 0x10
  std::optional<std::int64_t> default_timestamp;  // flag 0x20, microseconds
  std::optional<std::string> keyspace;           // flag 0x80, v5 only
  std::optional<std::int32_t> now_in_seconds;    // flag 0x100, v5 only

  friend bool operator==(const query_parameters&, const query_parameters&) = default;
};

// The flags encode_query_parameters writes for p in version v (v5-only fields are dropped
// in v3/v4).
std::uint32_t query_parameters_flags(const query_parameters& p, protocol_version v) noexcept;

// Reads <query_parameters> at the reader's position and advances past it. Does not check for
// trailing bytes (the caller owns the message). Errors: truncated, negative_length,
// bad_value (unknown flag bit, invalid consistency, unset value in v3, null paging state).
result<query_parameters> decode_query_parameters(wire_reader& r, protocol_version v);

// Appends <query_parameters> to w. Fields the version does not have (keyspace and
// now_in_seconds before v5) are not written; unset values are written as -2 whatever the
// version (a v3 peer would reject them, so callers must not produce them for v3).
void encode_query_parameters(wire_writer& w, const query_parameters& p, protocol_version v);

// Reads one bound [value]; an unset value (length -2) is bad_value in v3, where it does not
// exist. Shared by QUERY/EXECUTE values and BATCH children.
result<value_view> read_bound_value(wire_reader& r, protocol_version v) noexcept;

// Reads the <flags> field of the version: a [byte] in v3/v4, an [int] in v5. Shared with BATCH.
result<std::uint32_t> read_request_flags(wire_reader& r, protocol_version v) noexcept;
void write_request_flags(wire_writer& w, std::uint32_t flags, protocol_version v);

}  // namespace tandem::protocol
