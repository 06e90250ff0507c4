// SUPPORTED (spec v4 §4.2.4, spec v5 §4.2.4) and READY (spec v4 §4.2.2), two responses of the
// handshake. As responses, their decoders ignore bytes after the content (spec v4 §4.2).
#pragma once

#include "protocol/error.hpp"
#include "protocol/types.hpp"

namespace tandem::protocol {

// SUPPORTED: a [string multimap] of the STARTUP options the server supports and their values
// ("COMPRESSION": ["snappy", "lz4"], v5 "PROTOCOL_VERSIONS": ["3/v3", "4/v4", "5/v5"], ...).
struct supported_message {
  string_multimap options;

  friend bool operator==(const supported_message&, const supported_message&) = default;
};

// READY: the body is empty.
struct ready_message {
  friend bool operator==(const ready_message&, const ready_message&) = default;
};

// Errors: truncated.
result<supported_message> decode_supported(bytes_view body, protocol_version v);
bytes encode_supported(const supported_message& m, protocol_version v);

// Never fails: any body bytes are extra data and ignored.
result<ready_message> decode_ready(bytes_view body, protocol_version v);
bytes encode_ready(const ready_message& m, protocol_version v);

}  // namespace tandem::protocol
