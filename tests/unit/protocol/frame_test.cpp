// The 9-byte frame header of spec v4 §2 / v5 §2.4 and the incremental frame decoder.
#include "protocol/frame.hpp"
#include "unit/test_hex.hpp"

#include <gtest/gtest.h>

namespace tandem::protocol {
namespace {

using test::from_hex;
using test::to_hex;

// An OPTIONS request, v4, stream 0x0102, no body.
constexpr const char* options_v4 = "04 00 0102 05 00000000";
// A READY response, v5, stream 1.
constexpr const char* ready_v5 = "85 00 0001 02 00000000";

TEST(FrameHeader, DecodesEveryFieldOfARequest) {
  const auto in = from_hex(options_v4);
  auto h = decode_frame_header(in).value();
  EXPECT_EQ(h.version, protocol_version::v4);
  EXPECT_FALSE(h.is_response);
  EXPECT_EQ(h.flags, 0);
  EXPECT_EQ(h.stream, 0x0102);
  EXPECT_EQ(h.op, opcode::options);
  EXPECT_EQ(h.body_length, 0u);
}

TEST(FrameHeader, DecodesTheResponseBitAndANegativeEventStream) {
  // spec v4 §2.3: EVENT messages have stream id -1.
  const auto in = from_hex("83 00 ffff 0c 00000010");
  auto h = decode_frame_header(in).value();
  EXPECT_EQ(h.version, protocol_version::v3);
  EXPECT_TRUE(h.is_response);
  EXPECT_EQ(h.stream, -1);
  EXPECT_EQ(h.op, opcode::event);
  EXPECT_EQ(h.body_length, 16u);
}

TEST(FrameHeader, RejectsVersionsOtherThanThreeToFive) {
  for (const char* hex : {"01 00 0000 05 00000000", "02 00 0000 05 00000000",
                          "06 00 0000 05 00000000", "42 00 0000 05 00000000"}) {
    EXPECT_EQ(decode_frame_header(from_hex(hex)).error(), errc::unsupported_version) << hex;
  }
  EXPECT_EQ(peek_raw_version(from_hex("82")), 2);
}

TEST(FrameHeader, RejectsUnknownOpcodes) {
  EXPECT_EQ(decode_frame_header(from_hex("04 00 0000 04 00000000")).error(), errc::unknown_opcode);
  EXPECT_EQ(decode_frame_header(from_hex("04 00 0000 11 00000000")).error(), errc::unknown_opcode);
}

TEST(FrameHeader, RoundTripsThroughTheEncoder) {
  frame_header h{protocol_version::v5, true, frame_flags::warning | frame_flags::tracing, -1,
                 opcode::result, 1234};
  std::array<std::byte, frame_header_size> buf{};
  encode_frame_header(h, buf);
  EXPECT_EQ(to_hex(buf), "850affff08000004d2");
  EXPECT_EQ(decode_frame_header(buf).value(), h);
}

TEST(FrameDecoder, AsksForMoreUntilTheHeaderIsComplete) {
  const auto in = from_hex(ready_v5);
  for (std::size_t n = 0; n < frame_header_size; ++n) {
    auto step = decode_frame(bytes_view(in).first(n)).value();
    EXPECT_FALSE(step.frame.has_value()) << n;
    EXPECT_EQ(step.consumed, 0u);
  }
  auto step = decode_frame(in).value();
  ASSERT_TRUE(step.frame.has_value());
  EXPECT_EQ(step.consumed, frame_header_size);
  EXPECT_EQ(step.frame->header.op, opcode::ready);
}

TEST(FrameDecoder, AsksForMoreUntilTheBodyIsCompleteFedOneByteAtATime) {
  const auto in = from_hex("04 00 0007 07 00000005 0102030405 04 00 0008 05 00000000");
  bytes buffer;
  std::vector<frame_header> seen;
  for (auto b : in) {
    buffer.push_back(b);
    for (;;) {
      auto step = decode_frame(buffer).value();
      if (!step.frame) {
        break;
      }
      seen.push_back(step.frame->header);
      if (step.frame->header.op == opcode::query) {
        EXPECT_EQ(to_hex(step.frame->body), "0102030405");
      }
      buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(step.consumed));
    }
  }
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].stream, 7);
  EXPECT_EQ(seen[1].stream, 8);
  EXPECT_TRUE(buffer.empty());
}

TEST(FrameDecoder, RejectsABodyLongerThanTheLimitBeforeItArrives) {
  const auto in = from_hex("04 00 0000 07 00000401");  // 1025 bytes announced, none present
  frame_limits limits{1024};
  EXPECT_EQ(decode_frame(in, limits).error(), errc::frame_too_long);
  EXPECT_TRUE(decode_frame(from_hex("04 00 0000 07 00000400"), limits).value().frame == std::nullopt);
}

TEST(FrameDecoder, RejectsTwoGigabytesByDefault) {
  EXPECT_EQ(decode_frame(from_hex("04 00 0000 07 7fffffff")).error(), errc::frame_too_long);
  EXPECT_EQ(decode_frame(from_hex("04 00 0000 07 ffffffff")).error(), errc::frame_too_long);
}

TEST(FrameEncoder, SetsTheLengthFromTheBody) {
  frame_header h{protocol_version::v4, false, 0, 3, opcode::query, 999};
  const auto body = from_hex("aabb");
  EXPECT_EQ(to_hex(encode_frame(h, body)), "0400000307" "00000002" "aabb");
}

TEST(Opcode, ClassifiesRequestsAndResponses) {
  EXPECT_TRUE(is_request_opcode(opcode::batch));
  EXPECT_TRUE(is_request_opcode(opcode::auth_response));
  EXPECT_FALSE(is_request_opcode(opcode::result));
  EXPECT_FALSE(is_request_opcode(opcode::auth_challenge));
  EXPECT_STREQ(opcode_name(opcode::register_), "REGISTER");
}

}  // namespace
}  // namespace tandem::protocol
