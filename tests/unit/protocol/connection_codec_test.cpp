// The unframed byte stream of a connection (spec v4 §2): frames cut at any byte by the reads
// that carry them, and a buffer that drops what it has decoded even when no read ever ends on a
// frame boundary (a pipelining client under load).
#include "protocol/connection_codec.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace tandem::protocol {
namespace {

// A QUERY frame whose body is `size` bytes, each derived from the stream id and its offset,
// so a frame that comes out shifted, truncated or mixed with its neighbour is noticed.
bytes body_for(std::int16_t stream, std::size_t size) {
  bytes body(size);
  for (std::size_t i = 0; i < size; ++i) {
    body[i] = static_cast<std::byte>((static_cast<std::size_t>(stream) * 31 + i * 7) & 0xff);
  }
  return body;
}

struct pipelined_stream {
  bytes wire;
  std::vector<std::size_t> frame_starts;
  std::vector<std::size_t> body_sizes;
};

pipelined_stream make_stream(std::size_t frames) {
  pipelined_stream s;
  for (std::size_t i = 0; i < frames; ++i) {
    frame_header h;
    h.op = opcode::query;
    h.stream = static_cast<std::int16_t>(i % 32768);
    const std::size_t size = 1 + (i * 37) % 300;  // 1 to 300 bytes, never the same run twice
    const bytes frame = encode_frame(h, body_for(h.stream, size));
    s.frame_starts.push_back(s.wire.size());
    s.body_sizes.push_back(size);
    s.wire.insert(s.wire.end(), frame.begin(), frame.end());
  }
  return s;
}

void expect_frame(const owned_frame& f, std::size_t index, const pipelined_stream& s) {
  const auto stream = static_cast<std::int16_t>(index % 32768);
  EXPECT_EQ(f.header.stream, stream) << "frame " << index;
  EXPECT_EQ(f.header.op, opcode::query) << "frame " << index;
  EXPECT_EQ(f.header.body_length, s.body_sizes[index]) << "frame " << index;
  EXPECT_EQ(f.body, body_for(stream, s.body_sizes[index])) << "frame " << index;
}

TEST(ConnectionCodec, KeepsItsBufferBoundedWhenNoReadEndsOnAFrameBoundary) {
  constexpr std::size_t frames = 20000;  // ~3.2 MB on the wire
  const pipelined_stream s = make_stream(frames);

  // Every read ends a few bytes into a frame (inside its header or its body), a few frames
  // after the previous read ended: the pattern of a client that pipelines under load.
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < frames; i += 1 + i % 5) {
    cuts.push_back(s.frame_starts[i] + 1 + i % 9);  // a frame is at least 10 bytes
  }
  cuts.push_back(s.wire.size());

  connection_codec codec;
  std::size_t decoded = 0;
  std::size_t from = 0;
  std::size_t largest_read = 0;
  std::size_t most_held = 0;
  for (const std::size_t to : cuts) {
    ASSERT_GT(to, from);
    largest_read = std::max(largest_read, to - from);
    codec.feed(bytes_view(s.wire).subspan(from, to - from));
    from = to;
    most_held = std::max(most_held, codec.held_bytes());
    for (;;) {
      auto f = codec.next();
      ASSERT_TRUE(f.has_value());
      if (!f.value()) {
        break;
      }
      ASSERT_LT(decoded, frames);
      expect_frame(*f.value(), decoded, s);
      ++decoded;
    }
    ASSERT_LT(codec.buffered_bytes(), 9 + 300u);  // at most one partial frame is left
  }
  EXPECT_EQ(decoded, frames);
  EXPECT_EQ(codec.buffered_bytes(), 0u);
  // Bounded by the compaction threshold plus a couple of reads, not by the 3.2 MB sent.
  EXPECT_LE(most_held, 64u * 1024 + 2 * (largest_read + 9 + 300));
}

TEST(ConnectionCodec, DecodesFramesFedOneByteAtATime) {
  constexpr std::size_t frames = 200;
  const pipelined_stream s = make_stream(frames);
  connection_codec codec;
  std::size_t decoded = 0;
  for (std::size_t i = 0; i < s.wire.size(); ++i) {
    codec.feed(bytes_view(s.wire).subspan(i, 1));
    auto f = codec.next();
    ASSERT_TRUE(f.has_value());
    if (f.value()) {
      expect_frame(*f.value(), decoded, s);
      ++decoded;
      EXPECT_EQ(i + 1, decoded < frames ? s.frame_starts[decoded] : s.wire.size());
    }
    EXPECT_LE(codec.held_bytes(), 2 * (9 + 300u));
  }
  EXPECT_EQ(decoded, frames);
}

}  // namespace
}  // namespace tandem::protocol

namespace tandem::protocol {
namespace {

// encode_into writes the very bytes encode returns, in every state a connection goes through
// (plain, compressed before framing, v5 segments), whatever `out` held before.
TEST(ConnectionCodecEncodeInto, WritesWhatEncodeReturnsOverAnyPreviousContent) {
  const bytes body(300, std::byte{0x41});
  const frame_header h{protocol_version::v4, true, 0, 7, opcode::result, 0};
  std::vector<connection_codec> codecs(4);
  codecs[1].set_compression(compression_algorithm::lz4);
  codecs[2].begin_framing(protocol_version::v5, compression_algorithm::none);
  codecs[3].begin_framing(protocol_version::v5, compression_algorithm::lz4);
  for (std::size_t i = 0; i < codecs.size(); ++i) {
    frame_header hv = h;
    if (i >= 2) {
      hv.version = protocol_version::v5;
    }
    bytes out(1000, std::byte{0x7f});  // stale bytes longer than the frame
    codecs[i].encode_into(hv, body, out);
    EXPECT_EQ(out, codecs[i].encode(hv, body)) << "codec " << i;
  }
}

}  // namespace
}  // namespace tandem::protocol
