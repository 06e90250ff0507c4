// protocol/ against the real source node (tools/clusters up): OPTIONS, STARTUP and QUERY over a
// plain socket in v4 and v5, with and without compression, decoding the rows Cassandra sends.
// These tests fail, never skip, when the node cannot be reached.
#include "integration/cpp/raw_cql_connection.hpp"
#include "protocol/messages/message.hpp"
#include "protocol/request_edit.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <tuple>

namespace tandem::protocol {
namespace {

using test::raw_cql_connection;

std::string source_host() { return test::env_or("TANDEM_SOURCE_HOST", "127.0.0.2"); }
unsigned short source_port() {
  return static_cast<unsigned short>(std::stoi(test::env_or("TANDEM_SOURCE_PORT", "9042")));
}

template <class T>
T body_as(const test::raw_frame& f, protocol_version v) {
  auto m = decode_message(f.header.op, f.body, v);
  EXPECT_TRUE(m.has_value()) << opcode_name(f.header.op) << ": " << m.error().message();
  if (!m || !std::holds_alternative<T>(*m)) {
    if (m && std::holds_alternative<error_message>(*m)) {
      ADD_FAILURE() << "server error: " << std::get<error_message>(*m).message;
    }
    throw std::runtime_error(std::string("unexpected message ") + opcode_name(f.header.op));
  }
  return std::get<T>(*m);
}

std::string text_of(const std::optional<bytes>& cell) {
  if (!cell) {
    return "<null>";
  }
  return {reinterpret_cast<const char*>(cell->data()), cell->size()};
}

// Runs OPTIONS and STARTUP; returns the connection ready for queries.
std::unique_ptr<raw_cql_connection> connect_and_start(protocol_version v, const char* compression) {
  auto conn = std::make_unique<raw_cql_connection>(source_host(), source_port(), v);
  conn->send(opcode::options, encode_options({}, v), 1);
  auto supported = body_as<supported_message>(conn->receive(), v);
  const auto& algorithms = supported.options.at("COMPRESSION");
  if (*compression != '\0') {
    EXPECT_NE(std::find(algorithms.begin(), algorithms.end(), compression), algorithms.end())
        << "server does not offer " << compression;
  }
  startup_message startup;
  startup.options["CQL_VERSION"] = "3.0.0";
  if (*compression != '\0') {
    startup.options["COMPRESSION"] = compression;
  }
  conn->send(opcode::startup, encode_startup(startup, v), 2);
  auto ready = conn->receive();
  EXPECT_EQ(ready.header.op, opcode::ready);
  EXPECT_TRUE(ready.header.is_response);
  EXPECT_EQ(ready.header.stream, 2);
  conn->begin_framing(*compression == '\0' ? compression_algorithm::none
                                           : parse_compression_algorithm(compression).value());
  return conn;
}

rows_result query_rows(raw_cql_connection& conn, const std::string& cql, std::int16_t stream) {
  query_message q;
  q.query = cql;
  q.params.consistency_level = consistency::one;
  conn.send(opcode::query, encode_query(q, conn.version()), stream);
  auto f = conn.receive();
  EXPECT_EQ(f.header.stream, stream);
  auto result = body_as<result_message>(f, conn.version());
  EXPECT_TRUE(std::holds_alternative<rows_result>(result));
  return std::get<rows_result>(result);
}

class LiveProtocol
    : public ::testing::TestWithParam<std::tuple<protocol_version, const char*>> {};

TEST_P(LiveProtocol, DecodesTheReleaseVersionAndClusterNameOfTheSource) {
  const auto [v, compression] = GetParam();
  auto conn = connect_and_start(v, compression);
  auto rows = query_rows(*conn, "SELECT release_version, cluster_name FROM system.local", 3);
  ASSERT_EQ(rows.rows.size(), 1u);
  ASSERT_EQ(rows.metadata.columns.size(), 2u);
  EXPECT_EQ(rows.metadata.columns[0].name, "release_version");
  EXPECT_EQ(rows.metadata.columns[0].keyspace, "system");
  EXPECT_EQ(rows.metadata.columns[0].table, "local");
  EXPECT_EQ(rows.metadata.columns[0].type.id, type_id::varchar);
  EXPECT_EQ(text_of(rows.rows[0][0]).substr(0, 4), "5.0.");
  EXPECT_EQ(text_of(rows.rows[0][1]), test::env_or("TANDEM_SOURCE_CLUSTER_NAME", "tandem-source"));
}

TEST_P(LiveProtocol, DecodesManyRowsAndAPagingState) {
  const auto [v, compression] = GetParam();
  auto conn = connect_and_start(v, compression);
  // Enough rows, and a long enough body, that lz4 compresses it for real.
  auto all = query_rows(*conn, "SELECT keyspace_name, table_name, comment FROM system_schema.tables",
                        4);
  EXPECT_GT(all.rows.size(), 20u);
  EXPECT_FALSE(all.metadata.paging_state.has_value());

  query_message q;
  q.query = "SELECT keyspace_name, table_name FROM system_schema.tables";
  q.params.page_size = 5;
  conn->send(opcode::query, encode_query(q, v), 5);
  auto first = std::get<rows_result>(body_as<result_message>(conn->receive(), v));
  EXPECT_EQ(first.rows.size(), 5u);
  ASSERT_TRUE(first.metadata.paging_state.has_value());

  q.params.paging_state = first.metadata.paging_state;
  conn->send(opcode::query, encode_query(q, v), 6);
  auto second = std::get<rows_result>(body_as<result_message>(conn->receive(), v));
  EXPECT_EQ(second.rows.size(), 5u);
  EXPECT_NE(second.rows[0], first.rows[0]);
}

TEST_P(LiveProtocol, PreparesAndExecutesWithAnInjectedDefaultTimestamp) {
  const auto [v, compression] = GetParam();
  auto conn = connect_and_start(v, compression);
  query_message ddl;
  ddl.query =
      "CREATE KEYSPACE IF NOT EXISTS tandem_it WITH replication = "
      "{'class': 'SimpleStrategy', 'replication_factor': 1}";
  conn->send(opcode::query, encode_query(ddl, v), 7);
  (void)body_as<result_message>(conn->receive(), v);
  ddl.query = "CREATE TABLE IF NOT EXISTS tandem_it.kv (k int PRIMARY KEY, v text)";
  conn->send(opcode::query, encode_query(ddl, v), 8);
  (void)body_as<result_message>(conn->receive(), v);

  prepare_message p;
  p.query = "INSERT INTO tandem_it.kv (k, v) VALUES (?, ?)";
  conn->send(opcode::prepare, encode_prepare(p, v), 9);
  auto prepared = std::get<prepared_result>(body_as<result_message>(conn->receive(), v));
  ASSERT_EQ(prepared.metadata.columns.size(), 2u);
  EXPECT_EQ(prepared.metadata.columns[0].name, "k");
  if (v == protocol_version::v5) {
    EXPECT_FALSE(prepared.result_metadata_id.empty());
  }

  const int key = 100 + static_cast<int>(v) * 10 + (*compression == '\0' ? 0 : 1);
  execute_message e;
  e.id = prepared.id;
  if (v == protocol_version::v5) {
    e.result_metadata_id = prepared.result_metadata_id;
  }
  e.params.consistency_level = consistency::one;
  wire_writer k;
  k.write_int(key);
  const std::string text = "written by the live protocol test";
  e.params.values = {value::of(k.take()),
                     value::of(bytes(reinterpret_cast<const std::byte*>(text.data()),
                                     reinterpret_cast<const std::byte*>(text.data()) + text.size()))};
  // The proxy's path: encode without a timestamp, then pin one by editing the raw body.
  const std::int64_t pinned = 1'700'000'000'000'000 + key;
  const bytes body = with_default_timestamp(opcode::execute, v, encode_execute(e, v), pinned).value();
  conn->send(opcode::execute, body, 10);
  (void)std::get<void_result>(body_as<result_message>(conn->receive(), v));

  auto rows = query_rows(*conn,
                         "SELECT v, WRITETIME(v) FROM tandem_it.kv WHERE k = " + std::to_string(key),
                         11);
  ASSERT_EQ(rows.rows.size(), 1u);
  EXPECT_EQ(text_of(rows.rows[0][0]), text);
  wire_reader writetime(*rows.rows[0][1]);
  EXPECT_EQ(writetime.read_long().value(), pinned);
}

std::string case_name(
    const ::testing::TestParamInfo<std::tuple<protocol_version, const char*>>& info) {
  const protocol_version v = std::get<0>(info.param);
  const char* c = std::get<1>(info.param);
  return "v" + std::to_string(static_cast<int>(v)) +
         (*c == '\0' ? std::string("_plain") : std::string("_") + c);
}

INSTANTIATE_TEST_SUITE_P(VersionsAndCompression, LiveProtocol,
                         ::testing::Values(std::make_tuple(protocol_version::v4, ""),
                                           std::make_tuple(protocol_version::v4, "lz4"),
                                           std::make_tuple(protocol_version::v4, "snappy"),
                                           std::make_tuple(protocol_version::v5, ""),
                                           std::make_tuple(protocol_version::v5, "lz4")),
                         case_name);

// What Cassandra answers to a version it does not speak: the behaviour the proxy must mirror so
// that drivers step down (spec v5 §8 Protocol_error). Cassandra 5.0 knows 6 as a beta version,
// so the test asks for 7; the answer comes in the highest stable version, v5.
TEST(LiveProtocolNegotiation, AnUnknownVersionGetsAProtocolError) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket s(io);
  s.connect({boost::asio::ip::make_address(source_host()), source_port()});
  const bytes options_v7 = encode_frame({static_cast<protocol_version>(7), false, 0, 0,
                                          opcode::options, 0}, {});
  boost::asio::write(s, boost::asio::buffer(options_v7.data(), options_v7.size()));
  bytes got;
  std::array<std::byte, 4096> buf;
  boost::system::error_code ec;
  while (!ec) {
    const std::size_t n = s.read_some(boost::asio::buffer(buf.data(), buf.size()), ec);
    got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    auto step = decode_frame(got);
    if (!step || step->frame) {
      break;
    }
  }
  auto step = decode_frame(got).value();
  ASSERT_TRUE(step.frame.has_value());
  EXPECT_EQ(step.frame->header.version, protocol_version::v5);
  EXPECT_TRUE(step.frame->header.is_response);
  EXPECT_EQ(step.frame->header.op, opcode::error);
  auto err = decode_error(step.frame->body, step.frame->header.version).value();
  EXPECT_EQ(err.code, error_code::protocol_error);
  EXPECT_NE(err.message.find("protocol version"), std::string::npos) << err.message;
}

}  // namespace
}  // namespace tandem::protocol
