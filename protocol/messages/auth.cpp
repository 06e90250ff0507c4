#include "protocol/messages/auth.hpp"

#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"

namespace tandem::protocol {
namespace {

// The single [bytes] token shared by AUTH_RESPONSE, AUTH_CHALLENGE and AUTH_SUCCESS.
// must_consume: requests reject trailing bytes, responses ignore them (see auth.hpp).
result<std::optional<bytes>> read_token(bytes_view body, bool must_consume) {
  wire_reader r(body);
  TANDEM_TRY(auto token, r.read_bytes());
  if (must_consume && !r.empty()) {
    return errc::trailing_bytes;
  }
  if (!token) {
    return std::optional<bytes>{};
  }
  return std::optional<bytes>{bytes(token->begin(), token->end())};
}

bytes write_token(const std::optional<bytes>& token) {
  wire_writer w;
  if (token) {
    w.write_bytes(bytes_view{*token});
  } else {
    w.write_bytes(std::nullopt);
  }
  return w.take();
}

}  // namespace

result<auth_response_message> decode_auth_response(bytes_view body, protocol_version /*v*/) {
  TANDEM_TRY(auto token, read_token(body, true));
  return auth_response_message{std::move(token)};
}

bytes encode_auth_response(const auth_response_message& m, protocol_version /*v*/) {
  return write_token(m.token);
}

result<authenticate_message> decode_authenticate(bytes_view body, protocol_version /*v*/) {
  wire_reader r(body);
  TANDEM_TRY(auto name, r.read_string());
  return authenticate_message{std::string(name)};
}

bytes encode_authenticate(const authenticate_message& m, protocol_version /*v*/) {
  wire_writer w;
  w.write_string(m.authenticator);
  return w.take();
}

result<auth_challenge_message> decode_auth_challenge(bytes_view body, protocol_version /*v*/) {
  TANDEM_TRY(auto token, read_token(body, false));
  return auth_challenge_message{std::move(token)};
}

bytes encode_auth_challenge(const auth_challenge_message& m, protocol_version /*v*/) {
  return write_token(m.token);
}

result<auth_success_message> decode_auth_success(bytes_view body, protocol_version /*v*/) {
  TANDEM_TRY(auto token, read_token(body, false));
  return auth_success_message{std::move(token)};
}

bytes encode_auth_success(const auth_success_message& m, protocol_version /*v*/) {
  return write_token(m.token);
}

}  // namespace tandem::protocol
