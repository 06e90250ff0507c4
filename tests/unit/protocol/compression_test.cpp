// v3/v4 body compression (spec v4 §5) and the whole-frame helpers the proxy uses when the
// client and a cluster negotiated different compression.
#include "protocol/compression.hpp"
#include "unit/test_hex.hpp"

#include <gtest/gtest.h>

namespace tandem::protocol {
namespace {

using test::from_hex;
using test::to_hex;
using test::text_bytes;

constexpr compression_algorithm compressing[] = {compression_algorithm::lz4,
                                                 compression_algorithm::snappy};


// Bodies of several sizes: empty, tiny, compressible, and pseudo-random (incompressible).
std::vector<bytes> sample_bodies() {
  std::vector<bytes> out{bytes{}, text_bytes("b"), bytes(50, std::byte{'b'})};
  bytes repetitive;
  for (int i = 0; i < 20000; ++i) {
    repetitive.push_back(static_cast<std::byte>("SELECT * FROM ks.t WHERE k = ?"[i % 30]));
  }
  out.push_back(repetitive);
  bytes noise(70000);
  std::uint32_t x = 12345;
  for (auto& b : noise) {
    x = x * 1103515245u + 12345u;
    b = static_cast<std::byte>(x >> 24);
  }
  out.push_back(noise);
  return out;
}

// A v4 QUERY request frame for "SELECT * FROM system.local", consistency ONE, no flags.
bytes query_frame_v4(std::uint8_t flags = 0) {
  const bytes body = from_hex(
      "0000001a 53454c454354202a2046524f4d2073797374656d2e6c6f63616c"  // [long string]
      "0001 00");                                                      // consistency, flags
  return encode_frame(frame_header{protocol_version::v4, false, flags, 7, opcode::query, 0}, body);
}

TEST(CompressionAlgorithm, ParsesTheStartupOptionNamesIgnoringCase) {
  EXPECT_EQ(parse_compression_algorithm("lz4").value(), compression_algorithm::lz4);
  EXPECT_EQ(parse_compression_algorithm("LZ4").value(), compression_algorithm::lz4);
  EXPECT_EQ(parse_compression_algorithm("snappy").value(), compression_algorithm::snappy);
  EXPECT_EQ(parse_compression_algorithm("Snappy").value(), compression_algorithm::snappy);
  for (const char* bad : {"", "zstd", "lz", "lz4 ", "snappyy"}) {
    EXPECT_EQ(parse_compression_algorithm(bad).error(), errc::bad_value) << bad;
  }
  EXPECT_STREQ(compression_algorithm_name(compression_algorithm::lz4), "lz4");
  EXPECT_STREQ(compression_algorithm_name(compression_algorithm::snappy), "snappy");
  EXPECT_STREQ(compression_algorithm_name(compression_algorithm::none), "");
}

TEST(Lz4Body, StartsWithTheBigEndianUncompressedLength) {
  const auto out = compress_body(compression_algorithm::lz4, bytes(50, std::byte{'b'})).value();
  ASSERT_GE(out.size(), 5u);
  EXPECT_EQ(to_hex(bytes_view(out).first(4)), "00000032");
}

TEST(Lz4Body, DecompressesABodyWrittenByThePythonDriver) {
  // cassandra-driver's lz4_compress(b"b" * 50): big-endian length 50, then the LZ4 block.
  const auto body = from_hex("00000032 1f62010019506262626262");
  EXPECT_EQ(decompress_body(compression_algorithm::lz4, body, 1000).value(),
            bytes(50, std::byte{'b'}));
}

TEST(SnappyBody, DecompressesABodyWrittenByPythonSnappy) {
  // snappy.compress(b"b" * 50): varint length 50, a literal 'b', then a copy.
  const auto body = from_hex("32 0062 c20100");
  EXPECT_EQ(decompress_body(compression_algorithm::snappy, body, 1000).value(),
            bytes(50, std::byte{'b'}));
}

TEST(BodyCompression, RoundTripsEveryAlgorithmAndSize) {
  for (const auto a : {compression_algorithm::none, compression_algorithm::lz4,
                       compression_algorithm::snappy}) {
    for (const auto& body : sample_bodies()) {
      const auto packed = compress_body(a, body).value();
      EXPECT_EQ(decompress_body(a, packed, body.size()).value(), body)
          << compression_algorithm_name(a) << " " << body.size();
    }
  }
}

TEST(BodyCompression, ShrinksRepetitiveBodies) {
  const auto body = sample_bodies()[3];
  for (const auto a : compressing) {
    EXPECT_LT(compress_body(a, body).value().size(), body.size() / 4);
  }
}

TEST(BodyCompression, RejectsADeclaredLengthAboveTheLimitBeforeDecompressing) {
  const bytes body(1000, std::byte{'x'});
  for (const auto a : compressing) {
    const auto packed = compress_body(a, body).value();
    EXPECT_EQ(decompress_body(a, packed, 999).error(), errc::frame_too_long);
    EXPECT_TRUE(decompress_body(a, packed, 1000).has_value());
  }
  // A few bytes claiming 4 GiB: must fail on the claim, not on a 4 GiB allocation.
  EXPECT_EQ(decompress_body(compression_algorithm::lz4, from_hex("ffffffff 00"), 1u << 20).error(),
            errc::frame_too_long);
  EXPECT_EQ(
      decompress_body(compression_algorithm::snappy, from_hex("ffffffff0f 00"), 1u << 20).error(),
      errc::frame_too_long);
  EXPECT_EQ(decompress_body(compression_algorithm::none, body, 999).error(), errc::frame_too_long);
}

TEST(Lz4Body, RejectsADeclaredLengthThatDiffersFromTheBlock) {
  // The block of b"b" * 50, declared as 51 and as 49 bytes.
  EXPECT_EQ(decompress_body(compression_algorithm::lz4, from_hex("00000033 1f62010019506262626262"),
                            1000)
                .error(),
            errc::decompression_failed);
  EXPECT_EQ(decompress_body(compression_algorithm::lz4, from_hex("00000031 1f62010019506262626262"),
                            1000)
                .error(),
            errc::decompression_failed);
}

TEST(BodyCompression, RejectsGarbage) {
  const auto garbage = from_hex("00000040 ffffffffffffffffffffffffffff 0102030405");
  EXPECT_EQ(decompress_body(compression_algorithm::lz4, garbage, 1000).error(),
            errc::decompression_failed);
  EXPECT_EQ(decompress_body(compression_algorithm::lz4, from_hex("000000"), 1000).error(),
            errc::decompression_failed);
  EXPECT_EQ(decompress_body(compression_algorithm::snappy, from_hex("40 fffffffffffffff0"), 1000)
                .error(),
            errc::decompression_failed);
  EXPECT_EQ(decompress_body(compression_algorithm::snappy, bytes{}, 1000).error(),
            errc::decompression_failed);
}

TEST(BodyCompression, RejectsEveryTruncation) {
  const auto body = sample_bodies()[3];
  for (const auto a : compressing) {
    const auto packed = compress_body(a, body).value();
    for (std::size_t n = 0; n < packed.size(); ++n) {
      EXPECT_FALSE(decompress_body(a, bytes_view(packed).first(n), body.size()).has_value())
          << compression_algorithm_name(a) << " prefix " << n;
    }
  }
}

TEST(FrameCompression, CompressesTheBodySetsTheFlagAndUpdatesTheLength) {
  const auto plain = query_frame_v4(frame_flags::tracing);
  for (const auto a : compressing) {
    const auto packed = compress_frame(a, plain).value();
    const auto h = decode_frame_header(packed).value();
    EXPECT_EQ(h.flags, frame_flags::tracing | frame_flags::compression);
    EXPECT_EQ(h.stream, 7);
    EXPECT_EQ(h.op, opcode::query);
    EXPECT_EQ(h.body_length, packed.size() - frame_header_size);
    EXPECT_EQ(decompress_body(a, bytes_view(packed).subspan(frame_header_size), 1000).value(),
              bytes(plain.begin() + frame_header_size, plain.end()));
    EXPECT_EQ(decompress_frame(a, packed).value(), plain) << compression_algorithm_name(a);
  }
}

TEST(FrameCompression, TranslatesBetweenAlgorithmsThroughThePlainFrame) {
  const auto plain = query_frame_v4();
  const auto from_client = compress_frame(compression_algorithm::lz4, plain).value();
  const auto to_cluster = compress_frame(
      compression_algorithm::snappy,
      decompress_frame(compression_algorithm::lz4, from_client).value()).value();
  EXPECT_EQ(decompress_frame(compression_algorithm::snappy, to_cluster).value(), plain);
}

TEST(FrameCompression, LeavesFramesItMustNotTouchUnchanged) {
  const auto plain = query_frame_v4();
  EXPECT_EQ(decompress_frame(compression_algorithm::lz4, plain).value(), plain);  // no flag
  EXPECT_EQ(compress_frame(compression_algorithm::none, plain).value(), plain);
  const auto flagged = query_frame_v4(frame_flags::compression);
  EXPECT_EQ(compress_frame(compression_algorithm::lz4, flagged).value(), flagged);
  // spec v4 §5: STARTUP is never compressed.
  const auto startup = encode_frame(
      frame_header{protocol_version::v4, false, 0, 0, opcode::startup, 0}, from_hex("0000"));
  EXPECT_EQ(compress_frame(compression_algorithm::lz4, startup).value(), startup);
  // spec v5 §2.4: the flag is ignored in v5; segments carry the compression.
  auto v5 = query_frame_v4(frame_flags::compression);
  v5[0] = std::byte{0x05};
  EXPECT_EQ(decompress_frame(compression_algorithm::lz4, v5).value(), v5);
  v5[1] = std::byte{0x00};
  EXPECT_EQ(compress_frame(compression_algorithm::lz4, v5).value(), v5);
}

TEST(FrameCompression, RejectsAFlaggedFrameWhenNothingWasNegotiated) {
  EXPECT_EQ(
      decompress_frame(compression_algorithm::none, query_frame_v4(frame_flags::compression))
          .error(),
      errc::bad_value);
}

TEST(FrameCompression, RejectsAnythingButOneWholeFrame) {
  auto frame = query_frame_v4();
  for (std::size_t n = 0; n < frame.size(); ++n) {
    EXPECT_EQ(compress_frame(compression_algorithm::lz4, bytes_view(frame).first(n)).error(),
              errc::truncated)
        << n;
  }
  frame.push_back(std::byte{0});
  EXPECT_EQ(compress_frame(compression_algorithm::lz4, frame).error(), errc::trailing_bytes);
  EXPECT_EQ(decompress_frame(compression_algorithm::lz4, frame).error(), errc::trailing_bytes);
}

TEST(FrameCompression, RejectsACorruptBodyAndABodyBeyondTheLimit) {
  const auto corrupt = encode_frame(
      frame_header{protocol_version::v4, true, frame_flags::compression, 1, opcode::result, 0},
      from_hex("00000040 ffffffffffffffff"));
  EXPECT_EQ(decompress_frame(compression_algorithm::lz4, corrupt).error(),
            errc::decompression_failed);
  const auto big = encode_frame(frame_header{protocol_version::v4, true, 0, 1, opcode::result, 0},
                                bytes(5000, std::byte{'r'}));
  const auto packed = compress_frame(compression_algorithm::lz4, big).value();
  ASSERT_LT(packed.size(), 1000u);
  EXPECT_EQ(decompress_frame(compression_algorithm::lz4, packed, frame_limits{4999}).error(),
            errc::frame_too_long);
  EXPECT_EQ(decompress_frame(compression_algorithm::lz4, packed, frame_limits{5000}).value(), big);
}

}  // namespace
}  // namespace tandem::protocol
