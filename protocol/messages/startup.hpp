// STARTUP (spec v4 §4.1.1, spec v5 §4.1.1) and OPTIONS (spec v4 §4.1.3). Both are requests:
// their decoders reject bytes after the content with errc::trailing_bytes.
#pragma once

#include "protocol/error.hpp"
#include "protocol/types.hpp"

namespace tandem::protocol {

// STARTUP: a [string map] of options ("CQL_VERSION", "COMPRESSION", "NO_COMPACT",
// "THROW_ON_OVERLOAD", ...). Options are kept as given; the proxy decides what it honours.
struct startup_message {
  string_map options;

  friend bool operator==(const startup_message&, const startup_message&) = default;
};

// OPTIONS: the body is empty.
struct options_message {
  friend bool operator==(const options_message&, const options_message&) = default;
};

// Errors: truncated, trailing_bytes.
result<startup_message> decode_startup(bytes_view body, protocol_version v);
bytes encode_startup(const startup_message& m, protocol_version v);

// Errors: trailing_bytes (a non-empty body).
result<options_message> decode_options(bytes_view body, protocol_version v);
bytes encode_options(const options_message& m, protocol_version v);

}  // namespace tandem::protocol
