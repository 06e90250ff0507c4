// Fuzz target: the incremental frame decoder. Decodes every frame of the input, re-encodes
// each and decodes it again; the two decodes must agree and the decoder must never read past
// its input (ASan) or consume more than it was given.
#include "protocol/frame.hpp"

#include <cstdlib>
#include <cstring>

using namespace tandem::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bytes_view rest(reinterpret_cast<const std::byte*>(data), size);
  const frame_limits limits{1u << 20};
  while (!rest.empty()) {
    auto step = decode_frame(rest, limits);
    if (!step || !step->frame) {
      break;
    }
    if (step->consumed == 0 || step->consumed > rest.size()) {
      std::abort();
    }
    const auto& f = *step->frame;
    const bytes again = encode_frame(f.header, f.body);
    auto second = decode_frame(again, limits);
    if (!second || !second->frame || second->consumed != again.size() ||
        !(second->frame->header == f.header) || second->frame->body.size() != f.body.size() ||
        std::memcmp(second->frame->body.data(), f.body.data(), f.body.size()) != 0) {
      std::abort();
    }
    rest = rest.subspan(step->consumed);
  }
  return 0;
}
