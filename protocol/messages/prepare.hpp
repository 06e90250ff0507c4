// PREPARE (spec v4 §4.1.5, spec v5 §4.1.5). v3/v4: the body is only the query, a
// [long string]. v5: <query><flags>[<keyspace>] with [int] flags, 0x01 = with keyspace.
// A request: the decoder rejects bytes after the content with errc::trailing_bytes.
#pragma once

#include "protocol/error.hpp"
#include "protocol/types.hpp"

#include <optional>
#include <string>

namespace tandem::protocol {

namespace prepare_flags {
inline constexpr std::uint32_t keyspace = 0x01;  // v5
}  // namespace prepare_flags

struct prepare_message {
  std::string query;
  std::optional<std::string> keyspace;  // v5 only; not written in v3/v4

  friend bool operator==(const prepare_message&, const prepare_message&) = default;
};

// Errors: truncated, negative_length, bad_value (unknown v5 flag bit), trailing_bytes.
result<prepare_message> decode_prepare(bytes_view body, protocol_version v);
bytes encode_prepare(const prepare_message& m, protocol_version v);

}  // namespace tandem::protocol
