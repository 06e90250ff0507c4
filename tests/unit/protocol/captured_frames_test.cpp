// Frames captured from the Python driver talking to a real Cassandra 5.0.9
// (tools/capture/record_driver_session.py; files in tests/data/capture_*.txt): protocol v4 and
// v5, with and without lz4. Every frame of every connection must decode, and re-encode to the
// bytes the driver or the server sent (STARTUP aside: its options are a map, re-encoded sorted).
#include "protocol/compression.hpp"
#include "protocol/messages/message.hpp"
#include "protocol/segment.hpp"
#include "unit/test_hex.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

namespace tandem::protocol {
namespace {

struct captured_connection {
  bytes client;  // everything the client sent, in order
  bytes server;  // everything the server sent, in order
};

std::vector<captured_connection> load_capture(const std::string& name) {
  std::ifstream in(std::string(TANDEM_TEST_DATA_DIR) + "/" + name);
  EXPECT_TRUE(in.good()) << "missing test data " << name;
  std::vector<captured_connection> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# connection", 0) == 0) {
      out.emplace_back();
    } else if (!line.empty() && line[0] != '#' && !out.empty()) {
      bytes chunk = test::from_hex(line.substr(2));
      bytes& dst = line[0] == 'C' ? out.back().client : out.back().server;
      dst.insert(dst.end(), chunk.begin(), chunk.end());
    }
  }
  return out;
}

// Splits one direction of a connection into frames: unframed until the handshake ends
// (STARTUP from the client, READY/AUTHENTICATE from the server, spec v5 §2.3.1), then v5
// segments or v4 frames with compressed bodies, as the STARTUP agreed.
struct direction_decoder {
  compression_algorithm compression = compression_algorithm::none;
  std::vector<envelope> envelopes;
  std::set<opcode> opcodes;
  std::size_t checked_bytes = 0;

  void check_frame(bytes_view raw) {
    auto step = decode_frame(raw);
    ASSERT_TRUE(step.has_value()) << step.error().message();
    ASSERT_TRUE(step->frame.has_value());
    ASSERT_EQ(step->consumed, raw.size());
    frame_view f = *step->frame;
    bytes plain;
    if (f.header.version != protocol_version::v5 &&
        (f.header.flags & frame_flags::compression) != 0) {
      auto decompressed = decompress_frame(compression, raw);
      ASSERT_TRUE(decompressed.has_value()) << decompressed.error().message();
      plain = std::move(*decompressed);
      f = decode_frame(plain).value().frame.value();
    } else {
      plain.assign(raw.begin(), raw.end());
    }
    auto env = decode_envelope(f);
    ASSERT_TRUE(env.has_value()) << opcode_name(f.header.op) << ": " << env.error().message();
    const bytes again = encode_envelope(*env);
    // STARTUP and SUPPORTED carry maps, which the codec re-encodes in key order.
    if (f.header.op != opcode::startup && f.header.op != opcode::supported) {
      EXPECT_EQ(test::to_hex(again), test::to_hex(plain)) << opcode_name(f.header.op);
    }
    auto redecoded = decode_envelope(decode_frame(again).value().frame.value());
    ASSERT_TRUE(redecoded.has_value());
    EXPECT_EQ(redecoded->body, env->body);
    if (f.header.op == opcode::startup) {
      const auto& options = std::get<startup_message>(env->body).options;
      auto it = options.find("COMPRESSION");
      if (it != options.end()) {
        compression = parse_compression_algorithm(it->second).value();
      }
    }
    opcodes.insert(f.header.op);
    checked_bytes += raw.size();
    envelopes.push_back(std::move(*env));
  }

  // Returns true when the handshake frame that switches framing has been seen.
  static bool ends_handshake(opcode op) {
    return op == opcode::startup || op == opcode::ready || op == opcode::authenticate;
  }

  void run(const bytes& stream, const direction_decoder* startup_side) {
    bytes_view rest(stream);
    protocol_version version = protocol_version::v4;
    // The answer to STARTUP may already be compressed (spec v4 §2.2 / v5 §2.3.2).
    if (startup_side != nullptr) {
      compression = startup_side->compression;
    }
    while (!rest.empty()) {
      auto step = decode_frame(rest).value();
      ASSERT_TRUE(step.frame.has_value()) << "unframed phase ends mid-frame";
      version = step.frame->header.version;
      const opcode op = step.frame->header.op;
      check_frame(rest.first(step.consumed));
      rest = rest.subspan(step.consumed);
      if (ends_handshake(op)) {
        break;
      }
    }
    if (version != protocol_version::v5) {
      while (!rest.empty()) {
        auto step = decode_frame(rest).value();
        ASSERT_TRUE(step.frame.has_value()) << "stream ends mid-frame";
        check_frame(rest.first(step.consumed));
        rest = rest.subspan(step.consumed);
      }
      return;
    }
    segment_reassembler reassembler(compression == compression_algorithm::lz4);
    reassembler.feed(rest);
    for (;;) {
      auto next = reassembler.next();
      ASSERT_TRUE(next.has_value()) << next.error().message();
      if (!*next) {
        break;
      }
      check_frame(**next);
    }
    EXPECT_EQ(reassembler.buffered_bytes(), 0u);
  }
};

struct capture_case {
  const char* file;
  protocol_version version;
  compression_algorithm compression;
};

class CapturedFrames : public ::testing::TestWithParam<capture_case> {};

TEST_P(CapturedFrames, EveryFrameOfEveryConnectionDecodesAndReencodes) {
  const auto& c = GetParam();
  auto connections = load_capture(c.file);
  ASSERT_GE(connections.size(), 2u) << "expected the control connection and a pool connection";
  std::set<opcode> requests;
  std::set<opcode> responses;
  std::size_t rows_with_five = 0;
  for (const auto& conn : connections) {
    direction_decoder client;
    client.run(conn.client, nullptr);
    direction_decoder server;
    server.run(conn.server, &client);
    EXPECT_EQ(client.compression, c.compression);
    requests.insert(client.opcodes.begin(), client.opcodes.end());
    responses.insert(server.opcodes.begin(), server.opcodes.end());
    for (const auto& e : client.envelopes) {
      if (e.header.op != opcode::options) {
        EXPECT_EQ(e.header.version, c.version);
      }
    }
    for (const auto& e : server.envelopes) {
      const auto* result = std::get_if<result_message>(&e.body);
      const auto* rows = result != nullptr ? std::get_if<rows_result>(result) : nullptr;
      if (rows != nullptr && rows->metadata.columns.size() == 3 &&
          rows->metadata.columns[0].table == "kv") {
        rows_with_five += rows->rows.size();
      }
    }
  }
  for (opcode op : {opcode::options, opcode::startup, opcode::query, opcode::prepare,
                    opcode::execute, opcode::batch, opcode::register_}) {
    EXPECT_TRUE(requests.count(op)) << "no " << opcode_name(op) << " in the capture";
  }
  for (opcode op : {opcode::supported, opcode::ready, opcode::result}) {
    EXPECT_TRUE(responses.count(op)) << "no " << opcode_name(op) << " in the capture";
  }
  // The session reads five rows of capture.kv in pages of two (3 pages: 2 + 2 + 1).
  EXPECT_EQ(rows_with_five, 5u);
}

INSTANTIATE_TEST_SUITE_P(
    RealDriver, CapturedFrames,
    ::testing::Values(
        capture_case{"capture_v4_plain.txt", protocol_version::v4, compression_algorithm::none},
        capture_case{"capture_v4_lz4.txt", protocol_version::v4, compression_algorithm::lz4},
        capture_case{"capture_v5_plain.txt", protocol_version::v5, compression_algorithm::none},
        capture_case{"capture_v5_lz4.txt", protocol_version::v5, compression_algorithm::lz4}),
    [](const ::testing::TestParamInfo<capture_case>& info) {
      std::string name = info.param.file;
      name = name.substr(8, name.size() - 12);  // "capture_" ... ".txt"
      return name;
    });

}  // namespace
}  // namespace tandem::protocol
