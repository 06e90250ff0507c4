// The frame (v3, v4) / envelope (v5) header and an incremental frame decoder
// (spec v4 §2, spec v5 §2.4). The 9-byte header is the same in v3, v4 and v5:
//   version+direction (1) | flags (1) | stream (2, signed) | opcode (1) | length (4)
#pragma once

#include "protocol/error.hpp"
#include "protocol/types.hpp"

#include <optional>

namespace tandem::protocol {

inline constexpr std::size_t frame_header_size = 9;
// Cassandra's own default limit on a frame body (spec v5 §2.4.1.5: "limited to 256MB").
inline constexpr std::uint32_t default_max_frame_body = 256u * 1024u * 1024u;

enum class opcode : std::uint8_t {
  error = 0x00,
  startup = 0x01,
  ready = 0x02,
  authenticate = 0x03,
  options = 0x05,
  supported = 0x06,
  query = 0x07,
  result = 0x08,
  prepare = 0x09,
  execute = 0x0A,
  register_ = 0x0B,
  event = 0x0C,
  batch = 0x0D,
  auth_challenge = 0x0E,
  auth_response = 0x0F,
  auth_success = 0x10,
};

bool is_known_opcode(std::uint8_t op) noexcept;
bool is_request_opcode(opcode op) noexcept;
const char* opcode_name(opcode op) noexcept;

// Header flags (spec v4 §2.2, spec v5 §2.4.1.2).
namespace frame_flags {
inline constexpr std::uint8_t compression = 0x01;  // v3/v4 only; ignored in v5
inline constexpr std::uint8_t tracing = 0x02;
inline constexpr std::uint8_t custom_payload = 0x04;
inline constexpr std::uint8_t warning = 0x08;
inline constexpr std::uint8_t use_beta = 0x10;
}  // namespace frame_flags

struct frame_header {
  protocol_version version = protocol_version::v4;
  bool is_response = false;
  std::uint8_t flags = 0;
  std::int16_t stream = 0;
  opcode op = opcode::options;
  std::uint32_t body_length = 0;

  friend bool operator==(const frame_header&, const frame_header&) = default;
};

struct frame_limits {
  std::uint32_t max_body = default_max_frame_body;
};

// One complete frame: its header and a view of its body inside the decoder's input.
struct frame_view {
  frame_header header;
  bytes_view body;
};

// The outcome of one decode step: either "need more bytes" (frame empty, consumed 0) or one
// frame that took `consumed` bytes of the input.
struct decode_step {
  std::size_t consumed = 0;
  std::optional<frame_view> frame;
};

// Decodes the 9-byte header at the start of `in` (at least frame_header_size bytes).
// Errors: truncated (fewer than 9 bytes), unsupported_version, unknown_opcode,
// frame_too_long (body longer than limits.max_body).
result<frame_header> decode_frame_header(bytes_view in, const frame_limits& limits = {}) noexcept;

// Incremental decoder: looks at the bytes received so far. Returns a step with no frame when
// more bytes are needed (for the header or the body), one frame otherwise. The length is
// checked against the limit as soon as the header is there, before the body arrives, so a
// peer cannot make us buffer 2 GiB.
result<decode_step> decode_frame(bytes_view in, const frame_limits& limits = {}) noexcept;

// Writes the 9-byte header.
void encode_frame_header(const frame_header& h, std::span<std::byte, frame_header_size> out) noexcept;

// A whole frame: header (with body_length set from body) followed by body.
bytes encode_frame(frame_header h, bytes_view body);
// The same frame written over `out` (resized), reusing its capacity: a caller that recycles its
// buffers encodes without allocating.
void encode_frame_into(frame_header h, bytes_view body, bytes& out);

// The version byte of a frame as sent, without checking it: lets the caller answer an
// unsupported version (spec v4 §9 / v5 §8 "Protocol_error") in a form the peer understands.
inline std::optional<std::uint8_t> peek_raw_version(bytes_view in) noexcept {
  if (in.empty()) {
    return std::nullopt;
  }
  return static_cast<std::uint8_t>(std::to_integer<std::uint8_t>(in[0]) & 0x7F);
}

}  // namespace tandem::protocol
