// Hex helpers for byte-vector tests: test data is written as hex text, as in the spec.
#pragma once

#include "protocol/types.hpp"

#include <string>
#include <string_view>

namespace tandem::test {

// Parses hex digits, ignoring whitespace, ':' and '#'-to-end-of-line comments.
protocol::bytes from_hex(std::string_view text);
std::string to_hex(protocol::bytes_view b);

}  // namespace tandem::test
