// EXECUTE (spec v4 §4.1.6, spec v5 §4.1.6). v3/v4: <id><query_parameters>;
// v5: <id><result_metadata_id><query_parameters>. Both ids are [short bytes].
// A request: the decoder rejects bytes after the content with errc::trailing_bytes.
#pragma once

#include "protocol/error.hpp"
#include "protocol/messages/query_parameters.hpp"
#include "protocol/types.hpp"

#include <optional>

namespace tandem::protocol {

struct execute_message {
  bytes id;
  // Present exactly in v5, where the field is required. Encoding v5 with std::nullopt writes an
  // empty id; encoding v3/v4 never writes it.
  std::optional<bytes> result_metadata_id;
  query_parameters params;

  friend bool operator==(const execute_message&, const execute_message&) = default;
};

// Errors: truncated, negative_length, bad_value, trailing_bytes.
result<execute_message> decode_execute(bytes_view body, protocol_version v);
bytes encode_execute(const execute_message& m, protocol_version v);

}  // namespace tandem::protocol
