// Fuzz target: the v5 segment layer and v4 body compression. The first input byte chooses:
//   bit 0: lz4 segments; bits 3-5: the piece size (1-8) the rest is fed in.
//   bit 1: also treat the rest as a v4 compressed body (bit 2: snappy instead of lz4).
//   bit 6: the rest is not segments but records the target wraps in segments with valid CRCs,
//          so the fuzzer reaches what lies behind the checksums: per record a control byte
//          (bit 0 self-contained; bit 1 with lz4: the data is an lz4 block, and 2 more bytes
//          give its declared uncompressed length), a 2-byte big-endian length, the data.
// Checks: feeding in pieces gives what feeding at once gives; every envelope produced,
// re-encoded with encode_envelopes_to_segments and reassembled, comes back identical; a decoded
// segment re-encodes and decodes to itself; a decompressed body round-trips.
#include "protocol/compression.hpp"
#include "protocol/crc.hpp"
#include "protocol/segment.hpp"

#include <algorithm>
#include <cstdlib>
#include <vector>

using namespace tandem::protocol;

namespace {

const frame_limits limits{1u << 20};

struct outcome {
  std::vector<bytes> envelopes;
  boost::system::error_code error;

  bool operator==(const outcome&) const = default;
};

outcome reassemble(bytes_view in, bool lz4, std::size_t piece) {
  segment_reassembler r(lz4, limits);
  outcome out;
  for (std::size_t at = 0; at < in.size(); at += piece) {
    r.feed(in.subspan(at, std::min(piece, in.size() - at)));
    while (true) {
      auto next = r.next();
      if (!next) {
        out.error = next.error();
        return out;
      }
      if (!*next) {
        break;
      }
      out.envelopes.push_back(std::move(**next));
    }
  }
  return out;
}

void check_reassembly(bytes_view in, bool lz4, std::size_t piece) {
  const outcome whole = reassemble(in, lz4, in.size() == 0 ? 1 : in.size());
  if (!(reassemble(in, lz4, piece) == whole)) {
    std::abort();
  }
  if (whole.envelopes.empty()) {
    return;
  }
  const std::vector<bytes_view> views(whole.envelopes.begin(), whole.envelopes.end());
  const bytes wire = encode_envelopes_to_segments(views, lz4);
  const outcome again = reassemble(wire, lz4, wire.size());
  if (again.error || again.envelopes != whole.envelopes) {
    std::abort();
  }
}

// Reads the records of wrap mode from the front of its input.
struct record_reader {
  bytes_view in;

  std::uint8_t byte() {
    const auto v = std::to_integer<std::uint8_t>(in[0]);
    in = in.subspan(1);
    return v;
  }
  std::size_t u16() { return (std::size_t{byte()} << 8) | byte(); }
};

// An lz4 segment around `block` as is, declaring `uncompressed` bytes (spec v5 §2.2).
bytes lz4_segment_as_is(bytes_view block, std::uint64_t uncompressed, bool self_contained) {
  const std::uint64_t h = block.size() | (uncompressed << 17) |
                          (std::uint64_t{self_contained ? 1u : 0u} << 34);
  bytes out;
  for (int i = 0; i < 5; ++i) {
    out.push_back(static_cast<std::byte>((h >> (8 * i)) & 0xFF));
  }
  const std::uint32_t c = crc24(out);
  for (int i = 0; i < 3; ++i) {
    out.push_back(static_cast<std::byte>((c >> (8 * i)) & 0xFF));
  }
  out.insert(out.end(), block.begin(), block.end());
  const std::uint32_t p = segment_crc32(block);
  for (int i = 0; i < 4; ++i) {
    out.push_back(static_cast<std::byte>((p >> (8 * i)) & 0xFF));
  }
  return out;
}

bytes wrap_records(bytes_view in, bool lz4) {
  bytes wire;
  record_reader r{in};
  while (r.in.size() >= 3) {
    const std::uint8_t control = r.byte();
    const bool raw_block = lz4 && (control & 0x02) != 0;
    if (raw_block && r.in.size() < 4) {
      break;
    }
    const std::size_t uncompressed = raw_block ? r.u16() : 0;
    const std::size_t n = std::min(r.u16(), r.in.size());
    const bytes_view data = r.in.first(n);
    r.in = r.in.subspan(n);
    const bool self_contained = (control & 0x01) != 0;
    const bytes s = raw_block ? lz4_segment_as_is(data, uncompressed, self_contained)
                              : encode_segment(data, self_contained, lz4);
    wire.insert(wire.end(), s.begin(), s.end());
  }
  return wire;
}

void check_one_segment(bytes_view in, bool lz4) {
  auto step = decode_segment(in, lz4);
  if (!step || !step->decoded) {
    return;
  }
  if (step->consumed == 0 || step->consumed > in.size()) {
    std::abort();
  }
  const segment& s = *step->decoded;
  const bytes wire = encode_segment(s.payload, s.self_contained, lz4);
  auto again = decode_segment(wire, lz4);
  if (!again || !again->decoded || again->consumed != wire.size() || !(*again->decoded == s)) {
    std::abort();
  }
}

void check_body(bytes_view in, compression_algorithm a) {
  auto plain = decompress_body(a, in, limits.max_body);
  if (!plain) {
    return;
  }
  auto packed = compress_body(a, *plain);
  if (!packed) {
    std::abort();
  }
  auto again = decompress_body(a, *packed, limits.max_body);
  if (!again || *again != *plain) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::uint8_t mode = data[0];
  const bool lz4 = (mode & 0x01) != 0;
  const std::size_t piece = ((mode >> 3) & 0x07) + 1u;
  const bytes_view in(reinterpret_cast<const std::byte*>(data + 1), size - 1);
  if ((mode & 0x40) != 0) {
    const bytes wire = wrap_records(in, lz4);
    check_reassembly(wire, lz4, piece);
    check_one_segment(wire, lz4);
    return 0;
  }
  check_reassembly(in, lz4, piece);
  check_one_segment(in, lz4);
  if ((mode & 0x02) != 0) {
    check_body(in, (mode & 0x04) != 0 ? compression_algorithm::snappy : compression_algorithm::lz4);
  }
  return 0;
}
