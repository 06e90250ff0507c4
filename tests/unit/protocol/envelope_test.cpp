// Whole frames: the body prefix announced by the header flags (spec v4 §2.2, spec v5
// §2.4.1.2), the direction check and the dispatch on opcode (messages/message.hpp).
#include "protocol/frame.hpp"
#include "protocol/messages/message.hpp"
#include "unit/test_hex.hpp"

#include <gtest/gtest.h>

namespace tandem::protocol {
namespace {

using test::from_hex;
using test::to_hex;

using test::all_versions;

frame_view frame_of(const bytes& in) {
  auto step = decode_frame(in).value();
  EXPECT_TRUE(step.frame.has_value());
  EXPECT_EQ(step.consumed, in.size());
  return *step.frame;
}

result<envelope> decode_hex_frame(const bytes& in) { return decode_envelope(frame_of(in)); }

// A RESULT Void, v4, stream 5, with a tracing id, one warning and a custom payload {k: ff}.
constexpr const char* traced_void_v4 =
    "84 0e 0005 08 00000026"
    "00112233445566778899aabbccddeeff"  // tracing id
    "0001 0004 7761726e"                // warnings: ["warn"]
    "0001 0001 6b 00000001 ff"          // custom payload: {"k": 0xff}
    "00000001";                         // Void

// QUERY "SELECT 1" at ONE, no flags: the body shared by the request frames below.
constexpr const char* select_1_body = "00000008 53454c4543542031 0001 00";

TEST(Envelope, DecodesAReadyResponse) {
  const auto e = decode_hex_frame(from_hex("84 00 0001 02 00000000")).value();
  EXPECT_TRUE(e.header.is_response);
  EXPECT_EQ(e.header.stream, 1);
  EXPECT_TRUE(std::holds_alternative<ready_message>(e.body));
  EXPECT_FALSE(e.tracing_id.has_value());
  EXPECT_TRUE(e.warnings.empty());
  EXPECT_FALSE(e.custom_payload.has_value());
}

TEST(Envelope, ReadsTracingIdThenWarningsThenCustomPayloadOfAResponse) {
  const auto in = from_hex(traced_void_v4);
  const auto e = decode_hex_frame(in).value();
  ASSERT_TRUE(e.tracing_id.has_value());
  EXPECT_EQ(to_hex(*e.tracing_id), "00112233445566778899aabbccddeeff");
  EXPECT_EQ(e.warnings, string_list{"warn"});
  ASSERT_TRUE(e.custom_payload.has_value());
  EXPECT_EQ(e.custom_payload->at("k"), from_hex("ff"));
  EXPECT_EQ(e.body, message{result_message{void_result{}}});
  EXPECT_EQ(to_hex(encode_envelope(e)), to_hex(in));
}

TEST(Envelope, FailsOnEveryTruncationOfTheBody) {
  const auto in = from_hex(traced_void_v4);
  const frame_view f = frame_of(in);
  for (std::size_t n = 0; n < f.body.size(); ++n) {
    EXPECT_FALSE(decode_envelope(frame_view{f.header, f.body.first(n)}).has_value()) << n;
  }
}

TEST(Envelope, TreatsTheTracingFlagOfARequestAsARequestForTracingWithNoId) {
  const auto in = from_hex(std::string("04 02 0001 07 0000000f") + select_1_body);
  const auto e = decode_hex_frame(in).value();
  EXPECT_FALSE(e.tracing_id.has_value());
  EXPECT_EQ(std::get<query_message>(e.body).query, "SELECT 1");
  EXPECT_EQ(to_hex(encode_envelope(e)), to_hex(in));
}

TEST(Envelope, ReadsTheCustomPayloadOfARequest) {
  const auto in =
      from_hex(std::string("04 04 0001 07 00000019  0001 0001 6b 00000001 ff") + select_1_body);
  const auto e = decode_hex_frame(in).value();
  EXPECT_EQ(e.custom_payload, (bytes_map{{"k", from_hex("ff")}}));
  EXPECT_EQ(to_hex(encode_envelope(e)), to_hex(in));
}

TEST(Envelope, RejectsAMessageSentInTheWrongDirection) {
  // A QUERY in a response frame, a RESULT in a request frame.
  EXPECT_EQ(decode_hex_frame(from_hex(std::string("84 00 0001 07 0000000f") + select_1_body))
                .error(),
            errc::bad_direction);
  EXPECT_EQ(decode_hex_frame(from_hex("04 00 0001 08 00000004 00000001")).error(),
            errc::bad_direction);
}

TEST(Envelope, RejectsACompressedV4BodyButIgnoresTheFlagInV5) {
  // v3/v4: the caller must decompress first (compression.hpp).
  EXPECT_EQ(decode_hex_frame(from_hex("84 01 0001 02 00000000")).error(), errc::bad_value);
  // v5: the flag is deprecated and ignored (spec v5 §2.4.1.2); it is kept on re-encode.
  const auto in = from_hex("85 01 0001 02 00000000");
  const auto e = decode_hex_frame(in).value();
  EXPECT_EQ(to_hex(encode_envelope(e)), to_hex(in));
}

TEST(Envelope, IgnoresTheWarningAndCustomPayloadBitsInV3) {
  // spec v3 has neither: the bits are unused and ignored, the body is just the message.
  const auto in = from_hex("83 0c 0001 08 00000004 00000001");
  const auto e = decode_hex_frame(in).value();
  EXPECT_TRUE(e.warnings.empty());
  EXPECT_FALSE(e.custom_payload.has_value());
  EXPECT_EQ(to_hex(encode_envelope(e)), to_hex(in));
}

TEST(Envelope, KeepsAWarningFlagWithAnEmptyListOnReEncode) {
  const auto in = from_hex("84 08 0001 02 00000002 0000");
  const auto e = decode_hex_frame(in).value();
  EXPECT_TRUE(e.warnings.empty());
  EXPECT_EQ(to_hex(encode_envelope(e)), to_hex(in));
}

TEST(Envelope, DecodesAnEventOnStreamMinusOne) {
  const auto in = from_hex(
      "84 00 ffff 0c 0000001c"
      "000d 5354415455535f4348414e4745 0002 5550 04 7f000001 00002352");  // STATUS_CHANGE UP
  const auto e = decode_hex_frame(in).value();
  EXPECT_EQ(e.header.stream, -1);
  EXPECT_EQ(std::get<status_change_event>(std::get<event_message>(e.body)).change, "UP");
}

TEST(Envelope, IgnoresExtraBytesAfterAResponseButNotAfterARequest) {
  EXPECT_TRUE(decode_hex_frame(from_hex("84 00 0001 08 00000006 00000001 abcd")).has_value());
  EXPECT_EQ(decode_hex_frame(from_hex(std::string("04 00 0001 07 00000010") + select_1_body +
                                      "ab"))
                .error(),
            errc::trailing_bytes);
}

TEST(Envelope, EncodeTakesOpcodeDirectionFlagsAndLengthFromTheContent) {
  envelope e;
  // Everything here but the version, the stream and the kept bit 0x40 is overridden.
  e.header = frame_header{protocol_version::v4, false, 0x41, 7, opcode::options, 999};
  e.tracing_id = uuid{};
  e.warnings = {"warn"};
  e.custom_payload = bytes_map{{"k", std::nullopt}};
  e.body = result_message{void_result{}};
  EXPECT_EQ(to_hex(encode_envelope(e)), to_hex(from_hex("84 4e 0007 08 00000025"
                                                        "00000000000000000000000000000000"
                                                        "0001 0004 7761726e"
                                                        "0001 0001 6b ffffffff"
                                                        "00000001")));
}

// One message of every kind, valid in version v.
std::vector<message> every_message(protocol_version v) {
  query_parameters params;
  params.consistency_level = consistency::local_quorum;
  params.values = {value::of(from_hex("00000001")), value::null()};
  params.page_size = 100;
  execute_message execute{from_hex("0102"), std::nullopt, params};
  if (v == protocol_version::v5) {
    execute.result_metadata_id = from_hex("0304");
  }
  batch_message batch;
  batch.children = {batch_child{batch_child_kind::query, "INSERT INTO t (a) VALUES (?)", {},
                                {value::of(from_hex("00000002"))}},
                    batch_child{batch_child_kind::prepared, "", from_hex("0102"), {}}};
  batch.consistency_level = consistency::quorum;
  prepared_result prepared;
  prepared.id = from_hex("0102");
  if (v == protocol_version::v5) {
    prepared.result_metadata_id = from_hex("0304");
  }
  prepared.metadata.columns = {column_spec{"ks", "t", "a", data_type{}}};
  prepared.metadata.flags = 1;
  if (v != protocol_version::v3) {
    prepared.metadata.pk_indexes = {0};
  }
  return {
      startup_message{{{"CQL_VERSION", "3.0.0"}}},
      options_message{},
      auth_response_message{from_hex("00636173736100636173736100")},
      query_message{"SELECT * FROM ks.t", params},
      prepare_message{"SELECT * FROM ks.t WHERE a = ?", std::nullopt},
      execute,
      batch,
      register_message{{"SCHEMA_CHANGE", "STATUS_CHANGE"}},
      error_message{error_code::unprepared, "Unknown id", unprepared_error{from_hex("0102")}},
      ready_message{},
      authenticate_message{"org.apache.cassandra.auth.PasswordAuthenticator"},
      supported_message{{{"COMPRESSION", {"lz4", "snappy"}}}},
      result_message{prepared},
      event_message{topology_change_event{"NEW_NODE", inet{{127, 0, 0, 3}, 4, 9042}}},
      auth_challenge_message{std::nullopt},
      auth_success_message{bytes{}},
  };
}

TEST(Envelope, RoundTripsEveryMessageKindInEveryVersion) {
  for (auto v : all_versions) {
    for (const auto& body : every_message(v)) {
      envelope e;
      e.header.version = v;
      e.header.stream = 42;
      e.body = body;
      const bool response = !is_request_opcode(opcode_of(body));
      if (v != protocol_version::v3) {
        e.custom_payload = bytes_map{{"p", from_hex("01")}};
        if (response) {
          e.warnings = {"careful"};
        }
      }
      if (response) {
        e.tracing_id = uuid{std::byte{1}};
      }
      const bytes frame = encode_envelope(e);
      const auto decoded = decode_hex_frame(frame);
      ASSERT_TRUE(decoded.has_value())
          << opcode_name(opcode_of(body)) << " v" << static_cast<int>(v) << ": "
          << decoded.error().message();
      // What encode_envelope derived:
      e.header.op = opcode_of(body);
      e.header.is_response = response;
      e.header.flags = decoded->header.flags;
      e.header.body_length = static_cast<std::uint32_t>(frame.size() - frame_header_size);
      EXPECT_EQ(*decoded, e) << opcode_name(e.header.op) << " v" << static_cast<int>(v);
    }
  }
}

TEST(Envelope, SetsTheFlagsOfEveryPrefixItWrites) {
  envelope e;
  e.header.version = protocol_version::v5;
  e.body = ready_message{};
  e.tracing_id = uuid{};
  e.custom_payload = bytes_map{};
  EXPECT_EQ(decode_hex_frame(encode_envelope(e)).value().header.flags,
            frame_flags::tracing | frame_flags::custom_payload);
  e.warnings = {"w"};
  EXPECT_EQ(decode_hex_frame(encode_envelope(e)).value().header.flags,
            frame_flags::tracing | frame_flags::custom_payload | frame_flags::warning);
}

}  // namespace
}  // namespace tandem::protocol
