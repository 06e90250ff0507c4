#include "protocol/frame.hpp"

#include <array>

#include <algorithm>

namespace tandem::protocol {

bool is_known_opcode(std::uint8_t op) noexcept { return op <= 0x10 && op != 0x04; }

bool is_request_opcode(opcode op) noexcept {
  switch (op) {
    case opcode::startup: case opcode::options: case opcode::query: case opcode::prepare:
    case opcode::execute: case opcode::register_: case opcode::batch: case opcode::auth_response:
      return true;
    default:
      return false;
  }
}

const char* opcode_name(opcode op) noexcept {
  switch (op) {
    case opcode::error: return "ERROR";
    case opcode::startup: return "STARTUP";
    case opcode::ready: return "READY";
    case opcode::authenticate: return "AUTHENTICATE";
    case opcode::options: return "OPTIONS";
    case opcode::supported: return "SUPPORTED";
    case opcode::query: return "QUERY";
    case opcode::result: return "RESULT";
    case opcode::prepare: return "PREPARE";
    case opcode::execute: return "EXECUTE";
    case opcode::register_: return "REGISTER";
    case opcode::event: return "EVENT";
    case opcode::batch: return "BATCH";
    case opcode::auth_challenge: return "AUTH_CHALLENGE";
    case opcode::auth_response: return "AUTH_RESPONSE";
    case opcode::auth_success: return "AUTH_SUCCESS";
  }
  return "UNKNOWN";
}

result<frame_header> decode_frame_header(bytes_view in, const frame_limits& limits) noexcept {
  if (in.size() < frame_header_size) {
    return errc::truncated;
  }
  auto byte_at = [&](std::size_t i) { return std::to_integer<std::uint8_t>(in[i]); };
  frame_header h;
  const std::uint8_t version_byte = byte_at(0);
  const std::uint8_t version = version_byte & 0x7F;
  if (!is_supported_version(version)) {
    return errc::unsupported_version;
  }
  h.version = static_cast<protocol_version>(version);
  h.is_response = (version_byte & 0x80) != 0;
  h.flags = byte_at(1);
  h.stream = static_cast<std::int16_t>((byte_at(2) << 8) | byte_at(3));
  if (!is_known_opcode(byte_at(4))) {
    return errc::unknown_opcode;
  }
  h.op = static_cast<opcode>(byte_at(4));
  h.body_length = (std::uint32_t{byte_at(5)} << 24) | (std::uint32_t{byte_at(6)} << 16) |
                  (std::uint32_t{byte_at(7)} << 8) | std::uint32_t{byte_at(8)};
  if (h.body_length > limits.max_body) {
    return errc::frame_too_long;
  }
  return h;
}

result<decode_step> decode_frame(bytes_view in, const frame_limits& limits) noexcept {
  if (in.size() < frame_header_size) {
    return decode_step{};
  }
  TANDEM_TRY(auto h, decode_frame_header(in, limits));
  const std::size_t total = frame_header_size + std::size_t{h.body_length};
  if (in.size() < total) {
    return decode_step{};
  }
  return decode_step{total, frame_view{h, in.subspan(frame_header_size, h.body_length)}};
}

void encode_frame_header(const frame_header& h, std::span<std::byte, frame_header_size> out) noexcept {
  const auto version = static_cast<std::uint8_t>(h.version);
  const auto stream = static_cast<std::uint16_t>(h.stream);
  out[0] = static_cast<std::byte>(version | (h.is_response ? 0x80 : 0x00));
  out[1] = static_cast<std::byte>(h.flags);
  out[2] = static_cast<std::byte>(stream >> 8);
  out[3] = static_cast<std::byte>(stream & 0xFF);
  out[4] = static_cast<std::byte>(h.op);
  for (int i = 0; i < 4; ++i) {
    out[5 + i] = static_cast<std::byte>((h.body_length >> (8 * (3 - i))) & 0xFF);
  }
}

bytes encode_frame(frame_header h, bytes_view body) {
  bytes out;
  encode_frame_into(h, body, out);
  return out;
}

void encode_frame_into(frame_header h, bytes_view body, bytes& out) {
  h.body_length = static_cast<std::uint32_t>(body.size());
  // Appended, not resized and overwritten: a resize zero-fills first.
  std::array<std::byte, frame_header_size> header{};
  encode_frame_header(h, header);
  out.clear();
  out.reserve(frame_header_size + body.size());
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), body.begin(), body.end());
}

}  // namespace tandem::protocol
