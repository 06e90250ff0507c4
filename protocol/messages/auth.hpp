// The SASL exchange (spec v4 §4.1.2, §4.2.3, §4.2.7, §4.2.8): AUTH_RESPONSE (request),
// AUTHENTICATE, AUTH_CHALLENGE and AUTH_SUCCESS (responses). A token is a [bytes] that may be
// null (std::nullopt); what it holds depends on the authenticator.
// As everywhere in this library, the request decoder rejects bytes after the content
// (errc::trailing_bytes) and the response decoders ignore them (spec v4 §4.2: clients should
// discard extra data at the end of a response body).
#pragma once

#include "protocol/error.hpp"
#include "protocol/types.hpp"

#include <optional>
#include <string>

namespace tandem::protocol {

struct auth_response_message {
  std::optional<bytes> token;

  friend bool operator==(const auth_response_message&, const auth_response_message&) = default;
};

struct authenticate_message {
  std::string authenticator;  // full class name of the server's IAuthenticator

  friend bool operator==(const authenticate_message&, const authenticate_message&) = default;
};

struct auth_challenge_message {
  std::optional<bytes> token;

  friend bool operator==(const auth_challenge_message&, const auth_challenge_message&) = default;
};

struct auth_success_message {
  std::optional<bytes> token;

  friend bool operator==(const auth_success_message&, const auth_success_message&) = default;
};

// Errors: truncated, trailing_bytes.
result<auth_response_message> decode_auth_response(bytes_view body, protocol_version v);
bytes encode_auth_response(const auth_response_message& m, protocol_version v);

// Errors: truncated.
result<authenticate_message> decode_authenticate(bytes_view body, protocol_version v);
bytes encode_authenticate(const authenticate_message& m, protocol_version v);

// Errors: truncated.
result<auth_challenge_message> decode_auth_challenge(bytes_view body, protocol_version v);
bytes encode_auth_challenge(const auth_challenge_message& m, protocol_version v);

// Errors: truncated.
result<auth_success_message> decode_auth_success(bytes_view body, protocol_version v);
bytes encode_auth_success(const auth_success_message& m, protocol_version v);

}  // namespace tandem::protocol
