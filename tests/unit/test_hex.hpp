// Hex helpers for byte-vector tests: test data is written as hex text, as in the spec.
#pragma once

#include "protocol/types.hpp"

#include <string>
#include <string_view>

namespace tandem::test {

// Parses hex digits, ignoring whitespace, ':' and '#'-to-end-of-line comments.
protocol::bytes from_hex(std::string_view text);
std::string to_hex(protocol::bytes_view b);
// The bytes of a text, as they travel.
protocol::bytes text_bytes(std::string_view text);

// Every protocol version the library speaks, for tests that run on each.
inline constexpr protocol::protocol_version all_versions[] = {
    protocol::protocol_version::v3, protocol::protocol_version::v4, protocol::protocol_version::v5};

}  // namespace tandem::test
