// REGISTER (spec v4 §4.1.8): a [string list] of event types ("TOPOLOGY_CHANGE",
// "STATUS_CHANGE", "SCHEMA_CHANGE"). Names are kept as given; the proxy decides what it honours.
// A request: the decoder rejects bytes after the content with errc::trailing_bytes.
#pragma once

#include "protocol/error.hpp"
#include "protocol/types.hpp"

namespace tandem::protocol {

struct register_message {
  string_list events;

  friend bool operator==(const register_message&, const register_message&) = default;
};

// Errors: truncated, trailing_bytes.
result<register_message> decode_register(bytes_view body, protocol_version v);
bytes encode_register(const register_message& m, protocol_version v);

}  // namespace tandem::protocol
