// The v5 outer framing (spec v5 §2): CRC24/CRC32, the segment codec, and the reassembly of
// envelopes from segments. Reference bytes were produced by the Python driver
// (cassandra-driver 3.x, cassandra/segment.py), an implementation independent of this one.
#include "protocol/crc.hpp"
#include "protocol/segment.hpp"
#include "unit/test_hex.hpp"

#include <gtest/gtest.h>

namespace tandem::protocol {
namespace {

using test::from_hex;
using test::to_hex;
using test::text_bytes;


// A v5 envelope with a body of `body_size` bytes; `seed` varies the content. Compressible when
// `repetitive`, else pseudo-random.
bytes envelope(std::size_t body_size, std::uint32_t seed = 1, bool repetitive = true) {
  bytes body(body_size);
  std::uint32_t x = seed;
  for (std::size_t i = 0; i < body.size(); ++i) {
    x = x * 1103515245u + 12345u;
    body[i] = static_cast<std::byte>(repetitive ? (seed + i % 17) : (x >> 24));
  }
  const frame_header h{protocol_version::v5, false, 0, static_cast<std::int16_t>(seed),
                       opcode::query, 0};
  return encode_frame(h, body);
}

// Every segment in `in`, which must hold whole segments only.
std::vector<segment> split_segments(bytes_view in, bool lz4) {
  std::vector<segment> out;
  while (!in.empty()) {
    auto step = decode_segment(in, lz4).value();
    if (!step.decoded) {
      ADD_FAILURE() << "incomplete segment";
      break;
    }
    out.push_back(std::move(*step.decoded));
    in = in.subspan(step.consumed);
  }
  return out;
}

// Feeds `in` in pieces of `piece` bytes and collects every envelope; fails the test on error.
std::vector<bytes> reassemble(bytes_view in, bool lz4, std::size_t piece,
                              frame_limits limits = {}) {
  segment_reassembler r(lz4, limits);
  std::vector<bytes> out;
  for (std::size_t at = 0; at < in.size(); at += piece) {
    r.feed(in.subspan(at, std::min(piece, in.size() - at)));
    while (true) {
      auto next = r.next();
      if (!next) {
        ADD_FAILURE() << next.error().message();
        return out;
      }
      if (!*next) {
        break;
      }
      out.push_back(std::move(**next));
    }
  }
  EXPECT_EQ(r.buffered_bytes(), 0u);
  return out;
}

// The first error the reassembler reports for `in`, fed whole.
boost::system::error_code first_error(bytes_view in, bool lz4, frame_limits limits = {}) {
  segment_reassembler r(lz4, limits);
  r.feed(in);
  while (true) {
    auto next = r.next();
    if (!next) {
      return next.error();
    }
    if (!*next) {
      return {};
    }
  }
}

// An uncompressed segment built field by field, so tests can write what an encoder would not.
bytes raw_segment(bytes_view payload, bool self_contained) {
  const std::uint32_t h =
      static_cast<std::uint32_t>(payload.size()) | (self_contained ? 1u << 17 : 0u);
  bytes out{std::byte(h & 0xFF), std::byte((h >> 8) & 0xFF), std::byte(h >> 16)};
  const std::uint32_t c = crc24(out);
  out.insert(out.end(), {std::byte(c & 0xFF), std::byte((c >> 8) & 0xFF), std::byte(c >> 16)});
  out.insert(out.end(), payload.begin(), payload.end());
  const std::uint32_t p = segment_crc32(payload);
  for (int i = 0; i < 4; ++i) {
    out.push_back(std::byte((p >> (8 * i)) & 0xFF));
  }
  return out;
}

// An lz4 segment with the given length fields over `wire` (the payload as sent).
bytes raw_lz4_segment(bytes_view wire, std::uint64_t uncompressed_length) {
  const std::uint64_t h = wire.size() | (uncompressed_length << 17) | (std::uint64_t{1} << 34);
  bytes out;
  for (int i = 0; i < 5; ++i) {
    out.push_back(std::byte((h >> (8 * i)) & 0xFF));
  }
  const std::uint32_t c = crc24(out);
  out.insert(out.end(), {std::byte(c & 0xFF), std::byte((c >> 8) & 0xFF), std::byte(c >> 16)});
  out.insert(out.end(), wire.begin(), wire.end());
  const std::uint32_t p = segment_crc32(wire);
  for (int i = 0; i < 4; ++i) {
    out.push_back(std::byte((p >> (8 * i)) & 0xFF));
  }
  return out;
}

TEST(Crc32, MatchesTheStandardCheckValueAndContinues) {
  EXPECT_EQ(crc32(text_bytes("123456789")), 0xCBF43926u);
  EXPECT_EQ(crc32(bytes{}), 0u);
  EXPECT_EQ(crc32(text_bytes("6789"), crc32(text_bytes("12345"))), 0xCBF43926u);
}

// Eight bytes per step (slicing-by-8) and the byte-at-a-time tail agree with zlib at every
// split: lengths below, at and around multiples of eight, and continued across calls.
TEST(Crc32, EightBytesAtATimeMatchesZlibAtEveryLength) {
  bytes d;
  for (int i = 0; i < 1000; ++i) {
    d.push_back(std::byte((i * 7 + 3) % 256));
  }
  // zlib.crc32(d[:n]) in Python, d = bytes((i*7+3) % 256 for i in range(1000)).
  const std::vector<std::pair<std::size_t, std::uint32_t>> expected = {
      {7, 0x54491cdbu},  {8, 0xe2e35978u},  {9, 0x3d351cfeu},  {15, 0x7c619edcu},
      {16, 0x191f3d9fu}, {17, 0x7ba75ee3u}, {63, 0xb7350c2au}, {64, 0xcbd9ecf0u},
      {65, 0x6d195777u}, {1000, 0x17bc2a46u}};
  for (const auto& [n, crc] : expected) {
    const bytes_view part = bytes_view(d).first(n);
    EXPECT_EQ(crc32(part), crc) << n << " bytes";
    for (std::size_t split : {std::size_t{1}, std::size_t{5}, n / 2}) {
      if (split <= n) {
        EXPECT_EQ(crc32(part.subspan(split), crc32(part.first(split))), crc) << n << " split " << split;
      }
    }
  }
}

TEST(Crc32, SegmentVariantIsSeededWithCassandrasInitialBytes) {
  // zlib.crc32(b"123456789", zlib.crc32(b"\xfa\x2d\x55\xca")) in Python.
  EXPECT_EQ(segment_crc32(text_bytes("123456789")), 0xE2A261A7u);
  EXPECT_EQ(segment_crc32(bytes{}), 0x44777ED3u);
  EXPECT_EQ(segment_crc32(bytes{}), crc32(from_hex("fa2d55ca")));
}

TEST(Crc24, StartsFromTheSpecsInitialValue) {
  EXPECT_EQ(crc24(bytes{}), 0x875060u);  // spec v5 §2.1
}

TEST(Crc24, MatchesThePythonDriverOnSegmentHeaders) {
  // Header integers of 3 and 5 bytes, little-endian as on the wire.
  EXPECT_EQ(crc24(from_hex("320002")), 0xEEFFA5u);  // 50 bytes, self-contained
  EXPECT_EQ(crc24(from_hex("000000")), 0x7DE777u);
  EXPECT_EQ(crc24(from_hex("000002")), 0xC4366Au);
  EXPECT_EQ(crc24(from_hex("ffff01")), 0xFE9138u);
  EXPECT_EQ(crc24(from_hex("ffff03")), 0x474025u);
  EXPECT_EQ(crc24(from_hex("0000000000")), 0xAAAC0Au);
  EXPECT_EQ(crc24(from_hex("3200780004")), 0xF3755Du);  // lz4: 50 compressed, 60, self-contained
}

TEST(Segment, EncodesExactlyLikeThePythonDriver) {
  // An OPTIONS envelope in one self-contained segment: 09 00 02 | CRC24 | envelope | CRC32.
  EXPECT_EQ(to_hex(encode_segment(from_hex("050000010500000000"), true, false)),
            "090002a4c8c1050000010500000000b5557486");
  EXPECT_EQ(to_hex(encode_segment(bytes{}, true, false)), "0000026a36c4d37e7744");
  const bytes fifty(50, std::byte{'b'});
  EXPECT_EQ(to_hex(encode_segment(fifty, true, false)),
            "320002a5ffee" + to_hex(fifty) + "7aaeeb7c");
  // With lz4 (same block as the driver's lz4 library; the format allows other encodings).
  EXPECT_EQ(to_hex(encode_segment(fifty, true, true)),
            "0b006400042dacc41f6201001950626262626225c4f9e0");
  EXPECT_EQ(to_hex(encode_segment(text_bytes("b"), true, true)), "010000000406a58762e91b206e");
}

TEST(Segment, DecodesLz4SegmentsWrittenByThePythonDriver) {
  bytes abc;  // b"abcdefgh" * 16
  for (int i = 0; i < 16; ++i) {
    const auto part = text_bytes("abcdefgh");
    abc.insert(abc.end(), part.begin(), part.end());
  }
  const struct {
    const char* hex;
    bytes payload;
  } cases[] = {
      {"0b006400042dacc4 1f62010019506262626262 25c4f9e0", bytes(50, std::byte{'b'})},
      // Too small to shrink: sent as is with an uncompressed length of 0 (spec v5 §2.2).
      {"010000000406a587 62 e91b206e", text_bytes("b")},
      {"12000001049d5bcc 8f61626364656667680800605064656667 681d169d32", abc},
  };
  for (const auto& c : cases) {
    const auto in = from_hex(c.hex);
    const auto step = decode_segment(in, true).value();
    ASSERT_TRUE(step.decoded) << c.hex;
    EXPECT_EQ(step.consumed, in.size());
    EXPECT_EQ(*step.decoded, (segment{true, c.payload})) << c.hex;
  }
}

TEST(Segment, WritesTheLz4HeaderFieldsAndStoresIncompressiblePayloadsAsIs) {
  const bytes fifty(50, std::byte{'b'});
  const auto packed = encode_segment(fifty, false, true);
  EXPECT_LT(packed.size(), 8u + 50u + 4u);
  std::uint64_t h = 0;
  for (int i = 4; i >= 0; --i) {
    h = (h << 8) | std::to_integer<std::uint8_t>(packed[i]);
  }
  EXPECT_EQ(h & 0x1FFFF, packed.size() - 12);  // compressed length
  EXPECT_EQ((h >> 17) & 0x1FFFF, 50u);         // uncompressed length
  EXPECT_EQ((h >> 34) & 1, 0u);                // not self-contained

  const auto noise = envelope(500, 7, false);
  const auto raw = encode_segment(noise, true, true);
  EXPECT_EQ(raw.size(), 8 + noise.size() + 4);
  EXPECT_EQ(to_hex(bytes_view(raw).first(5)),
            "fd01000004");  // 509 bytes as is, uncompressed length 0, self-contained
}

TEST(Segment, RoundTripsEverySizeFlagAndCompression) {
  for (const bool lz4 : {false, true}) {
    for (const bool self_contained : {false, true}) {
      for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{9},
                                     std::size_t{1000}, max_segment_payload}) {
        for (const bool repetitive : {false, true}) {
          auto payload = envelope(size > 9 ? size - 9 : 0, 3, repetitive);
          payload.resize(size);
          const auto packed = encode_segment(payload, self_contained, lz4);
          auto extra = packed;
          extra.push_back(std::byte{0x42});  // the next segment's first byte
          const auto step = decode_segment(extra, lz4).value();
          ASSERT_TRUE(step.decoded);
          EXPECT_EQ(step.consumed, packed.size());
          EXPECT_EQ(*step.decoded, (segment{self_contained, payload}))
              << lz4 << self_contained << size << repetitive;
        }
      }
    }
  }
}

TEST(Segment, NeedsMoreBytesAtEveryTruncation) {
  for (const bool lz4 : {false, true}) {
    const auto packed = encode_segment(envelope(300), true, lz4);
    for (std::size_t n = 0; n < packed.size(); ++n) {
      const auto step = decode_segment(bytes_view(packed).first(n), lz4);
      ASSERT_TRUE(step.has_value()) << lz4 << " prefix " << n;
      EXPECT_FALSE(step->decoded);
      EXPECT_EQ(step->consumed, 0u);
    }
  }
}

TEST(Segment, DetectsEveryCorruptedHeaderBitBeforeThePayloadArrives) {
  for (const bool lz4 : {false, true}) {
    const std::size_t header = lz4 ? lz4_segment_header_size : segment_header_size;
    const auto packed = encode_segment(envelope(300), true, lz4);
    for (std::size_t i = 0; i < header; ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        auto bad = packed;
        bad[i] ^= std::byte(1 << bit);
        // Only the header: a corrupt length must not make us wait for a payload.
        EXPECT_EQ(decode_segment(bytes_view(bad).first(header), lz4).error(), errc::crc_mismatch)
            << lz4 << " byte " << i << " bit " << bit;
      }
    }
  }
}

TEST(Segment, DetectsACorruptedPayloadOrTrailerByte) {
  for (const bool lz4 : {false, true}) {
    const std::size_t header = lz4 ? lz4_segment_header_size : segment_header_size;
    const auto packed = encode_segment(envelope(300), true, lz4);
    for (std::size_t i = header; i < packed.size(); ++i) {
      auto bad = packed;
      bad[i] ^= std::byte{0x10};
      EXPECT_EQ(decode_segment(bad, lz4).error(), errc::crc_mismatch) << lz4 << " byte " << i;
    }
  }
}

TEST(Segment, RejectsAnLz4BlockThatIsNotItsDeclaredLength) {
  const auto block = from_hex("1f62010019506262626262");  // b"b" * 50
  EXPECT_EQ(decode_segment(raw_lz4_segment(block, 50), true).value().decoded->payload,
            bytes(50, std::byte{'b'}));
  for (const std::uint64_t wrong : {49u, 51u, 0x1FFFFu}) {
    EXPECT_EQ(decode_segment(raw_lz4_segment(block, wrong), true).error(),
              errc::decompression_failed)
        << wrong;
  }
  EXPECT_EQ(decode_segment(raw_lz4_segment(from_hex("ffffffffffff"), 100), true).error(),
            errc::decompression_failed);
  EXPECT_EQ(decode_segment(raw_lz4_segment(bytes{}, 100), true).error(),
            errc::decompression_failed);
}

TEST(SegmentEncoder, PacksFiveEnvelopesIntoOneSelfContainedSegment) {
  std::vector<bytes> envelopes;
  for (std::uint32_t i = 0; i < 5; ++i) {
    envelopes.push_back(envelope(10 * i, i));
  }
  const std::vector<bytes_view> views(envelopes.begin(), envelopes.end());
  for (const bool lz4 : {false, true}) {
    const auto wire = encode_envelopes_to_segments(views, lz4);
    const auto segments = split_segments(wire, lz4);
    ASSERT_EQ(segments.size(), 1u);
    EXPECT_TRUE(segments[0].self_contained);
    EXPECT_EQ(reassemble(wire, lz4, wire.size()), envelopes);
  }
}

TEST(SegmentEncoder, StartsANewSegmentWhenTheNextEnvelopeDoesNotFit) {
  // 3 × 60009 bytes: two fit in one segment (120018 ≤ 131071), the third does not.
  const std::vector<bytes> envelopes{envelope(60000, 1), envelope(60000, 2), envelope(60000, 3)};
  const std::vector<bytes_view> views(envelopes.begin(), envelopes.end());
  const auto segments = split_segments(encode_envelopes_to_segments(views, false), false);
  ASSERT_EQ(segments.size(), 2u);
  EXPECT_EQ(segments[0].payload.size(), 2 * envelopes[0].size());
  EXPECT_TRUE(segments[0].self_contained && segments[1].self_contained);
  // Exactly the limit still fits one self-contained segment.
  const auto exact = envelope(max_segment_payload - frame_header_size);
  const bytes_view one[] = {exact};
  const auto single = split_segments(encode_envelopes_to_segments(one, false), false);
  ASSERT_EQ(single.size(), 1u);
  EXPECT_TRUE(single[0].self_contained);
  EXPECT_TRUE(encode_envelopes_to_segments({}, false).empty());
}

TEST(SegmentEncoder, SplitsALargeEnvelopeOverThreeSegmentsThatAreNotSelfContained) {
  const auto big = envelope(2 * max_segment_payload + 100, 9, false);
  const auto small = envelope(20, 4);
  const bytes_view views[] = {small, big, small};
  for (const bool lz4 : {false, true}) {
    const auto wire = encode_envelopes_to_segments(views, lz4);
    const auto segments = split_segments(wire, lz4);
    ASSERT_EQ(segments.size(), 5u);
    EXPECT_TRUE(segments[0].self_contained);
    for (int i = 1; i <= 3; ++i) {
      EXPECT_FALSE(segments[i].self_contained) << i;
    }
    EXPECT_EQ(segments[1].payload.size(), max_segment_payload);
    EXPECT_EQ(segments[3].payload.size(), big.size() - 2 * max_segment_payload);
    EXPECT_TRUE(segments[4].self_contained);
    EXPECT_EQ(reassemble(wire, lz4, 4096), (std::vector<bytes>{small, big, small}));
  }
}

TEST(SegmentReassembler, YieldsTheSameEnvelopesWhenFedOneByteAtATime) {
  const std::vector<bytes> envelopes{envelope(0, 1), envelope(300, 2), envelope(150000, 3, false),
                                     envelope(5, 4)};
  const std::vector<bytes_view> views(envelopes.begin(), envelopes.end());
  for (const bool lz4 : {false, true}) {
    const auto wire = encode_envelopes_to_segments(views, lz4);
    EXPECT_EQ(reassemble(wire, lz4, 1), envelopes) << lz4;
    EXPECT_EQ(reassemble(wire, lz4, 7), envelopes) << lz4;
  }
}

TEST(SegmentReassembler, JoinsAnEnvelopeWhoseHeaderIsSplitAcrossSegments) {
  const auto e = envelope(40);
  bytes wire;
  for (std::size_t at = 0; at < e.size(); at += 4) {
    const auto s = raw_segment(bytes_view(e).subspan(at, std::min<std::size_t>(4, e.size() - at)),
                               false);
    wire.insert(wire.end(), s.begin(), s.end());
  }
  EXPECT_EQ(reassemble(wire, false, 1), std::vector<bytes>{e});
}

TEST(SegmentReassembler, RejectsASelfContainedSegmentEndingMidEnvelope) {
  const auto whole = envelope(30, 1);
  const auto cut = envelope(30, 2);
  for (std::size_t n = 1; n < cut.size(); ++n) {
    bytes payload = whole;
    payload.insert(payload.end(), cut.begin(), cut.begin() + static_cast<std::ptrdiff_t>(n));
    segment_reassembler r(false);
    r.feed(raw_segment(payload, true));
    EXPECT_EQ(r.next().value(), whole);  // the whole one first
    EXPECT_EQ(r.next().error(), errc::bad_value) << n;
    EXPECT_EQ(r.next().error(), errc::bad_value);  // errors are final
    r.feed(raw_segment(whole, true));               // and later input is dropped
    EXPECT_EQ(r.buffered_bytes(), 0u);
    EXPECT_EQ(r.next().error(), errc::bad_value);
  }
}

TEST(SegmentReassembler, RejectsSegmentsThatBreakASplitEnvelope) {
  const auto e = envelope(20);
  bytes wire = raw_segment(bytes_view(e).first(15), false);
  const auto intruder = raw_segment(envelope(3), true);
  wire.insert(wire.end(), intruder.begin(), intruder.end());
  EXPECT_EQ(first_error(wire, false), errc::bad_value);

  bytes overrun = raw_segment(bytes_view(e).first(15), false);
  bytes rest(e.begin() + 15, e.end());
  rest.push_back(std::byte{0});  // one byte more than the envelope declares
  const auto tail = raw_segment(rest, false);
  overrun.insert(overrun.end(), tail.begin(), tail.end());
  EXPECT_EQ(first_error(overrun, false), errc::bad_value);
}

TEST(SegmentReassembler, RejectsAnEnvelopeAboveTheLimitAsSoonAsItsHeaderArrives) {
  const frame_limits limits{1000};
  const auto at_limit = envelope(1000);
  const auto above_limit = envelope(1001);
  const auto far_above = envelope(2 * max_segment_payload + 100);
  const bytes_view ok[] = {at_limit};
  EXPECT_EQ(reassemble(encode_envelopes_to_segments(ok, false), false, 100, limits).size(), 1u);
  const bytes_view small_too_long[] = {above_limit};
  EXPECT_EQ(first_error(encode_envelopes_to_segments(small_too_long, false), false, limits),
            errc::frame_too_long);
  // The first of three segments is enough to know: the rest is never buffered.
  const bytes_view big_too_long[] = {far_above};
  const auto big = encode_envelopes_to_segments(big_too_long, false);
  const auto first = bytes_view(big).first(segment_header_size + max_segment_payload + 4);
  EXPECT_EQ(first_error(first, false, limits), errc::frame_too_long);
  // Likewise a header that claims 4 GiB.
  const auto huge = raw_segment(from_hex("05000001 07 ffffffff 00"), false);
  EXPECT_EQ(first_error(huge, false), errc::frame_too_long);
}

TEST(SegmentReassembler, ReportsCorruptionAndBadEnvelopeHeaders) {
  auto wire = encode_segment(envelope(50), true, false);
  wire[20] ^= std::byte{1};
  EXPECT_EQ(first_error(wire, false), errc::crc_mismatch);
  EXPECT_EQ(first_error(raw_segment(from_hex("05000001 04 00000000"), true), false),
            errc::unknown_opcode);
  EXPECT_EQ(first_error(raw_segment(from_hex("02000001 05 00000000"), true), false),
            errc::unsupported_version);
}

TEST(SegmentReassembler, NeedsMoreBytesAtEveryTruncation) {
  const std::vector<bytes> envelopes{envelope(10, 1), envelope(20, 2)};
  const std::vector<bytes_view> views(envelopes.begin(), envelopes.end());
  const auto wire = encode_envelopes_to_segments(views, true);
  for (std::size_t n = 0; n < wire.size(); ++n) {
    segment_reassembler r(true);
    r.feed(bytes_view(wire).first(n));
    const auto next = r.next();
    ASSERT_TRUE(next.has_value()) << n;
    EXPECT_FALSE(next->has_value()) << n;
  }
}

}  // namespace
}  // namespace tandem::protocol
