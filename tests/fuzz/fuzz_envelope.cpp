// Fuzz target: decode_envelope over every message kind. The input is either a whole frame
// (when its first byte is a valid version byte, 0x03-0x05 or 0x83-0x85), or a first byte that
// picks the version and opcode, a second byte of header flags, and the rest as the body — so
// the fuzzer reaches message bodies without having to get a frame length right.
// A decoded envelope is re-encoded and decoded again: the two must be equal (the header's
// body_length aside: a re-encoding drops ignored extra bytes), and a second re-encoding must
// give the same bytes as the first.
#include "protocol/frame.hpp"
#include "protocol/messages/message.hpp"

#include <cstdlib>
#include <optional>

using namespace tandem::protocol;

namespace {

// Frames of at most 1 MiB, as in fuzz_frame: enough for any message shape.
constexpr frame_limits limits{1u << 20};

std::optional<frame_view> frame_from_input(bytes_view in) {
  const auto first = std::to_integer<std::uint8_t>(in[0]);
  if (is_supported_version(first & 0x7F)) {
    auto step = decode_frame(in, limits);
    if (!step || !step->frame) {
      return std::nullopt;
    }
    return step->frame;
  }
  const auto op = static_cast<std::uint8_t>((first >> 2) % 17);
  if (in.size() < 2 || !is_known_opcode(op)) {
    return std::nullopt;
  }
  frame_header h;
  h.version = static_cast<protocol_version>(3 + (first & 0x03) % 3);
  h.op = static_cast<opcode>(op);
  h.is_response = !is_request_opcode(h.op);
  h.flags = std::to_integer<std::uint8_t>(in[1]);
  const bytes_view body = in.subspan(2);
  h.body_length = static_cast<std::uint32_t>(body.size());
  return frame_view{h, body};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const bytes_view in(reinterpret_cast<const std::byte*>(data), size);
  const auto frame = frame_from_input(in);
  if (!frame) {
    return 0;
  }
  auto first = decode_envelope(*frame);
  if (!first) {
    return 0;
  }
  const bytes again = encode_envelope(*first);
  auto step = decode_frame(again);
  if (!step || !step->frame || step->consumed != again.size()) {
    std::abort();
  }
  auto second = decode_envelope(*step->frame);
  if (!second) {
    std::abort();
  }
  first->header.body_length = second->header.body_length;
  if (!(*first == *second)) {
    std::abort();
  }
  if (encode_envelope(*second) != again) {
    std::abort();
  }
  return 0;
}
