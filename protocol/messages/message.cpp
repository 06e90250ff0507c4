#include "protocol/messages/message.hpp"

#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"

#include <array>

namespace tandem::protocol {
namespace {

// The opcode of each alternative of `message`, in the variant's order.
constexpr std::array<opcode, std::variant_size_v<message>> opcodes = {
    opcode::startup,        opcode::options,      opcode::auth_response, opcode::query,
    opcode::prepare,        opcode::execute,      opcode::batch,         opcode::register_,
    opcode::error,          opcode::ready,        opcode::authenticate,  opcode::supported,
    opcode::result,         opcode::event,        opcode::auth_challenge, opcode::auth_success,
};

template <class T>
result<message> wrap(result<T> decoded) {
  if (!decoded) {
    return decoded.error();
  }
  return message{std::move(*decoded)};
}

// One overload per alternative, each calling that message's encoder.
struct message_encoder {
  protocol_version v;

  bytes operator()(const startup_message& m) const { return encode_startup(m, v); }
  bytes operator()(const options_message& m) const { return encode_options(m, v); }
  bytes operator()(const auth_response_message& m) const { return encode_auth_response(m, v); }
  bytes operator()(const query_message& m) const { return encode_query(m, v); }
  bytes operator()(const prepare_message& m) const { return encode_prepare(m, v); }
  bytes operator()(const execute_message& m) const { return encode_execute(m, v); }
  bytes operator()(const batch_message& m) const { return encode_batch(m, v); }
  bytes operator()(const register_message& m) const { return encode_register(m, v); }
  bytes operator()(const error_message& m) const { return encode_error(m, v); }
  bytes operator()(const ready_message& m) const { return encode_ready(m, v); }
  bytes operator()(const authenticate_message& m) const { return encode_authenticate(m, v); }
  bytes operator()(const supported_message& m) const { return encode_supported(m, v); }
  bytes operator()(const result_message& m) const { return encode_result(m, v); }
  bytes operator()(const event_message& m) const { return encode_event(m, v); }
  bytes operator()(const auth_challenge_message& m) const { return encode_auth_challenge(m, v); }
  bytes operator()(const auth_success_message& m) const { return encode_auth_success(m, v); }
};

bool has(std::uint8_t flags, std::uint8_t mask) noexcept { return (flags & mask) != 0; }

// Warnings and custom payloads are v4 additions (spec v4 §10).
bool has_v4_prefix(protocol_version v) noexcept { return v >= protocol_version::v4; }

// The header flags encode_envelope writes (see message.hpp).
std::uint8_t envelope_flags(const envelope& e, bool response) noexcept {
  const protocol_version v = e.header.version;
  std::uint8_t flags = e.header.flags;
  if (v != protocol_version::v5) {
    flags &= static_cast<std::uint8_t>(~frame_flags::compression);
  }
  if (response) {
    flags &= static_cast<std::uint8_t>(~frame_flags::tracing);
    if (e.tracing_id) {
      flags |= frame_flags::tracing;
    }
    if (has_v4_prefix(v) && !e.warnings.empty()) {
      flags |= frame_flags::warning;
    }
  }
  if (has_v4_prefix(v)) {
    flags &= static_cast<std::uint8_t>(~frame_flags::custom_payload);
    if (e.custom_payload) {
      flags |= frame_flags::custom_payload;
    }
  }
  return flags;
}

}  // namespace

opcode opcode_of(const message& m) noexcept { return opcodes[m.index()]; }

result<message> decode_message(opcode op, bytes_view body, protocol_version v) {
  switch (op) {
    case opcode::startup: return wrap(decode_startup(body, v));
    case opcode::options: return wrap(decode_options(body, v));
    case opcode::auth_response: return wrap(decode_auth_response(body, v));
    case opcode::query: return wrap(decode_query(body, v));
    case opcode::prepare: return wrap(decode_prepare(body, v));
    case opcode::execute: return wrap(decode_execute(body, v));
    case opcode::batch: return wrap(decode_batch(body, v));
    case opcode::register_: return wrap(decode_register(body, v));
    case opcode::error: return wrap(decode_error(body, v));
    case opcode::ready: return wrap(decode_ready(body, v));
    case opcode::authenticate: return wrap(decode_authenticate(body, v));
    case opcode::supported: return wrap(decode_supported(body, v));
    case opcode::result: return wrap(decode_result(body, v));
    case opcode::event: return wrap(decode_event(body, v));
    case opcode::auth_challenge: return wrap(decode_auth_challenge(body, v));
    case opcode::auth_success: return wrap(decode_auth_success(body, v));
  }
  return errc::unknown_opcode;
}

bytes encode_message(const message& m, protocol_version v) {
  return std::visit(message_encoder{v}, m);
}

result<envelope> decode_envelope(const frame_view& f) {
  const frame_header& h = f.header;
  const protocol_version v = h.version;
  if (v != protocol_version::v5 && has(h.flags, frame_flags::compression)) {
    // Compressed v3/v4 body: decompress it first with compression.hpp (spec v4 §5).
    return errc::bad_value;
  }
  if (is_request_opcode(h.op) == h.is_response) {
    return errc::bad_direction;
  }
  envelope e;
  e.header = h;
  wire_reader r(f.body);
  if (h.is_response && has(h.flags, frame_flags::tracing)) {
    TANDEM_TRY(e.tracing_id, r.read_uuid());
  }
  if (h.is_response && has_v4_prefix(v) && has(h.flags, frame_flags::warning)) {
    TANDEM_TRY(e.warnings, r.read_string_list());
  }
  if (has_v4_prefix(v) && has(h.flags, frame_flags::custom_payload)) {
    TANDEM_TRY(e.custom_payload, r.read_bytes_map());
  }
  TANDEM_TRY(e.body, decode_message(h.op, r.rest(), v));
  return e;
}

bytes encode_envelope(const envelope& e) {
  frame_header h = e.header;
  h.op = opcode_of(e.body);
  h.is_response = !is_request_opcode(h.op);
  h.flags = envelope_flags(e, h.is_response);
  const protocol_version v = h.version;

  wire_writer w;
  if (h.is_response && e.tracing_id) {
    w.write_uuid(*e.tracing_id);
  }
  if (h.is_response && has_v4_prefix(v) && has(h.flags, frame_flags::warning)) {
    w.write_string_list(e.warnings);
  }
  if (has_v4_prefix(v) && e.custom_payload) {
    w.write_bytes_map(*e.custom_payload);
  }
  w.write_raw(encode_message(e.body, v));
  return encode_frame(h, w.data());
}

}  // namespace tandem::protocol
