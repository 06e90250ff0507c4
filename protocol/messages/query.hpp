// QUERY (spec v4 §4.1.4, spec v5 §4.1.4): <query><query_parameters>, <query> a [long string].
// A request: the decoder rejects bytes after the content with errc::trailing_bytes.
#pragma once

#include "protocol/error.hpp"
#include "protocol/messages/query_parameters.hpp"
#include "protocol/types.hpp"

#include <string>

namespace tandem::protocol {

struct query_message {
  std::string query;
  query_parameters params;

  friend bool operator==(const query_message&, const query_message&) = default;
};

// Errors: truncated, negative_length, bad_value, trailing_bytes (see decode_query_parameters).
result<query_message> decode_query(bytes_view body, protocol_version v);
bytes encode_query(const query_message& m, protocol_version v);

}  // namespace tandem::protocol
