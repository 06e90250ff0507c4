// Framing of the bench tools: frames fed in any split come out whole, v4 bodies compressed
// with lz4 come back plain, and a v5 connection switches to segments after the handshake
// frame (spec v5 §2.3.1) — both ways, with the handshake answer still unframed.
#include "tools/bench/frame_io.hpp"

#include "protocol/segment.hpp"

#include <gtest/gtest.h>

namespace tandem::bench {
namespace {

using protocol::bytes;
using protocol::frame_header;
using protocol::opcode;
using protocol::protocol_version;

bytes body_of(std::size_t n, std::uint8_t seed) {
  bytes b(n);
  for (std::size_t i = 0; i < n; ++i) {
    b[i] = static_cast<std::byte>((seed + i / 7) & 0xFF);  // compressible
  }
  return b;
}

frame_header request(protocol_version v, std::int16_t stream, opcode op = opcode::execute) {
  return frame_header{v, false, 0, stream, op, 0};
}

// Reads every frame `wire` holds, fed `chunk` bytes at a time, with the bodies made plain.
std::vector<std::pair<frame_header, bytes>> read_all(frame_reader& r, const bytes& wire,
                                                     std::size_t chunk) {
  std::vector<std::pair<frame_header, bytes>> out;
  for (std::size_t at = 0; at < wire.size(); at += chunk) {
    const std::size_t n = std::min(chunk, wire.size() - at);
    r.feed(protocol::bytes_view(wire).subspan(at, n));
    for (;;) {
      auto next = r.next();
      EXPECT_TRUE(next.has_value()) << next.error().message();
      if (!next || !*next) {
        break;
      }
      auto plain = r.plain_body(**next);
      EXPECT_TRUE(plain.has_value());
      out.emplace_back((*next)->header, bytes(plain->begin(), plain->end()));
    }
  }
  return out;
}

TEST(FrameIo, ReadsFramesFedOneByteAtATime) {
  frame_sink sink;
  sink.append(request(protocol_version::v4, 1), body_of(10, 1));
  sink.append(request(protocol_version::v4, 2), body_of(0, 2));
  sink.append(request(protocol_version::v4, 3), body_of(300, 3));
  EXPECT_EQ(sink.pending_frames(), 3u);
  bytes wire;
  sink.take(wire);
  EXPECT_TRUE(sink.empty());
  frame_reader reader;
  const auto frames = read_all(reader, wire, 1);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].first.stream, 1);
  EXPECT_EQ(frames[1].second.size(), 0u);
  EXPECT_EQ(frames[2].second, body_of(300, 3));
}

TEST(FrameIo, CompressesV4BodiesButNeverStartup) {
  frame_sink sink;
  sink.set_compression(protocol::compression_algorithm::lz4);
  sink.append(request(protocol_version::v4, 0, opcode::startup), body_of(200, 9));
  sink.append(request(protocol_version::v4, 5), body_of(2000, 4));
  bytes wire;
  sink.take(wire);
  EXPECT_LT(wire.size(), 9u + 200u + 9u + 2000u);
  EXPECT_EQ(std::to_integer<int>(wire[1]) & protocol::frame_flags::compression, 0);  // STARTUP
  frame_reader reader;
  reader.set_compression(protocol::compression_algorithm::lz4);
  const auto frames = read_all(reader, wire, 100);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].second, body_of(200, 9));
  EXPECT_EQ(frames[1].second, body_of(2000, 4));
}

TEST(FrameIo, RefusesACompressedBodyWhenNoCompressionWasAgreed) {
  frame_sink sink;
  sink.set_compression(protocol::compression_algorithm::lz4);
  sink.append(request(protocol_version::v4, 5), body_of(2000, 4));
  bytes wire;
  sink.take(wire);
  frame_reader reader;
  reader.feed(wire);
  auto next = reader.next();
  ASSERT_TRUE(next && *next);
  EXPECT_FALSE(reader.plain_body(**next).has_value());
}

TEST(FrameIo, SwitchesToSegmentsAfterTheHandshakeAnswer) {
  for (const bool lz4 : {false, true}) {
    frame_sink sink;
    sink.append(frame_header{protocol_version::v5, true, 0, 0, opcode::ready, 0}, {});
    sink.begin_segments(lz4);
    for (std::int16_t s = 1; s <= 50; ++s) {
      sink.append(request(protocol_version::v5, s), body_of(static_cast<std::size_t>(s) * 40, 7));
    }
    bytes wire;
    sink.take(wire);
    frame_reader reader;
    // The READY arrives with the first segment right behind it, in one read.
    reader.feed(wire);
    auto ready = reader.next();
    ASSERT_TRUE(ready && *ready);
    EXPECT_EQ((*ready)->header.op, opcode::ready);
    reader.begin_segments(lz4);
    std::size_t seen = 0;
    for (;;) {
      auto next = reader.next();
      ASSERT_TRUE(next.has_value()) << next.error().message();
      if (!*next) {
        break;
      }
      ++seen;
      EXPECT_EQ((*next)->header.stream, static_cast<std::int16_t>(seen));
      EXPECT_EQ((*next)->body.size(), seen * 40);
    }
    EXPECT_EQ(seen, 50u) << (lz4 ? "lz4" : "plain");
  }
}

TEST(FrameIo, CarriesAnEnvelopeLargerThanOneSegment) {
  frame_sink sink;
  sink.begin_segments(false);
  const bytes big = body_of(protocol::max_segment_payload + 1000, 3);
  sink.append(request(protocol_version::v5, 9), big);
  bytes wire;
  sink.take(wire);
  frame_reader reader;
  reader.begin_segments(false);
  const auto frames = read_all(reader, wire, 4096);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].second, big);
}

TEST(FrameIo, ReportsACorruptSegmentAsAnError) {
  frame_sink sink;
  sink.begin_segments(false);
  sink.append(request(protocol_version::v5, 1), body_of(10, 1));
  bytes wire;
  sink.take(wire);
  wire[wire.size() - 1] ^= std::byte{0xFF};  // the payload CRC32
  frame_reader reader;
  reader.begin_segments(false);
  reader.feed(wire);
  EXPECT_FALSE(reader.next().has_value());
}

TEST(FrameIo, ReadsTheErrorCodeOfAnErrorBody) {
  const bytes body{std::byte{0}, std::byte{0}, std::byte{0x11}, std::byte{0}, std::byte{0}, std::byte{0}};
  EXPECT_EQ(error_code_in(body), 0x1100);
  EXPECT_EQ(error_code_in({}), 0);
}

}  // namespace
}  // namespace tandem::bench
