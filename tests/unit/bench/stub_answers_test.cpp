// The stub backend's canned answers, decoded with protocol/ as the proxy and drivers decode
// them: the system tables the proxy's probe reads, [applied] for the T0 record, prepared
// metadata that matches the bind markers, and rows with and without metadata.
#include "tools/bench/stub_answers.hpp"

#include <gtest/gtest.h>

namespace tandem::bench {
namespace {

using protocol::protocol_version;
using protocol::type_id;

std::string text_of(const protocol::rows_result& r, const std::string& column) {
  for (std::size_t i = 0; i < r.metadata.columns.size(); ++i) {
    if (r.metadata.columns[i].name == column && !r.rows.empty() && r.rows[0][i]) {
      return std::string(reinterpret_cast<const char*>(r.rows[0][i]->data()), r.rows[0][i]->size());
    }
  }
  return "<missing>";
}

protocol::rows_result query_rows(std::string_view cql, const stub_identity& who = {}) {
  std::string ks;
  auto m = answer_query(cql, who, ks);
  EXPECT_TRUE(std::holds_alternative<protocol::rows_result>(m)) << cql;
  // Round trip through the codec, as a client would see it.
  auto decoded = protocol::decode_result(protocol::encode_result(m, protocol_version::v4),
                                         protocol_version::v4);
  EXPECT_TRUE(decoded.has_value());
  return std::get<protocol::rows_result>(*decoded);
}

TEST(StubAnswers, SystemLocalHasWhatTheProxyProbeReads) {
  stub_identity who;
  who.cluster_name = "stub-a";
  const auto r = query_rows(
      "SELECT data_center, rack, release_version, cluster_name, partitioner FROM system.local", who);
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(text_of(r, "cluster_name"), "stub-a");
  EXPECT_EQ(text_of(r, "data_center"), "datacenter1");
  EXPECT_EQ(text_of(r, "rack"), "rack1");
  EXPECT_EQ(text_of(r, "release_version"), "5.0.9");
  EXPECT_EQ(text_of(r, "partitioner"), "org.apache.cassandra.dht.Murmur3Partitioner");
}

TEST(StubAnswers, PeersTablesAreEmptyButHaveTheirColumns) {
  const auto v2 = query_rows("SELECT peer, native_address, native_port, data_center FROM system.peers_v2");
  EXPECT_TRUE(v2.rows.empty());
  EXPECT_FALSE(v2.metadata.columns.empty());
  const auto v1 = query_rows("SELECT peer, rpc_address, data_center FROM system.peers");
  EXPECT_TRUE(v1.rows.empty());
}

TEST(StubAnswers, ConditionalWritesAreApplied) {
  const auto r = query_rows(
      "INSERT INTO tandem.migration_state (name, value) VALUES ('t0', 1) IF NOT EXISTS");
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.metadata.columns[0].name, "[applied]");
  EXPECT_EQ(r.metadata.columns[0].type.id, type_id::boolean);
  EXPECT_EQ(*r.rows[0][0], protocol::bytes{std::byte{1}});
}

TEST(StubAnswers, PlainWritesAndSchemaChangesAreVoidAndUseSetsTheKeyspace) {
  std::string ks;
  EXPECT_TRUE(std::holds_alternative<protocol::void_result>(
      answer_query("INSERT INTO ks.t (k, v) VALUES (1, 0x00)", {}, ks)));
  EXPECT_TRUE(std::holds_alternative<protocol::void_result>(
      answer_query("CREATE TABLE IF NOT EXISTS ks.t (k bigint PRIMARY KEY, v blob)", {}, ks)));
  auto use = answer_query("USE ks2", {}, ks);
  ASSERT_TRUE(std::holds_alternative<protocol::set_keyspace_result>(use));
  EXPECT_EQ(ks, "ks2");
}

TEST(StubAnswers, SelectOfAUserTableReturnsOneRowOfTheSelectedColumns) {
  stub_identity who;
  who.row_size = 10;
  const auto r = query_rows("SELECT k, v AS value FROM ks.t WHERE k = 1", who);
  ASSERT_EQ(r.metadata.columns.size(), 2u);
  EXPECT_EQ(r.metadata.columns[0].name, "k");
  EXPECT_EQ(r.metadata.columns[0].type.id, type_id::bigint);
  EXPECT_EQ(r.metadata.columns[1].name, "value");
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0][0]->size(), 8u);
  EXPECT_EQ(r.rows[0][1]->size(), 10u);
}

TEST(StubAnswers, PreparedInsertNamesEachMarkerAfterItsColumn) {
  for (const auto v : {protocol_version::v4, protocol_version::v5}) {
    const auto s = prepare_statement("INSERT INTO ks.t (k, v) VALUES (?, ?) USING TTL ?", "", v, {});
    EXPECT_FALSE(s.is_read);
    auto decoded = protocol::decode_result(s.prepared_body, v);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
    const auto& p = std::get<protocol::prepared_result>(*decoded);
    EXPECT_EQ(p.id.size(), 16u);
    EXPECT_EQ(p.result_metadata_id.empty(), v != protocol_version::v5);
    ASSERT_EQ(p.metadata.columns.size(), 3u);
    EXPECT_EQ(p.metadata.columns[0].name, "k");
    EXPECT_EQ(p.metadata.columns[0].type.id, type_id::bigint);
    EXPECT_EQ(p.metadata.columns[1].name, "v");
    EXPECT_EQ(p.metadata.columns[1].type.id, type_id::blob);
    EXPECT_EQ(p.metadata.columns[2].name, "[ttl]");
    EXPECT_EQ(p.metadata.columns[2].type.id, type_id::int_);
    EXPECT_EQ(p.metadata.pk_indexes, std::vector<std::uint16_t>{0});
    auto answer = protocol::decode_result(s.answer_body, v);
    ASSERT_TRUE(answer.has_value());
    EXPECT_TRUE(std::holds_alternative<protocol::void_result>(*answer));
  }
}

TEST(StubAnswers, PreparedSelectAnswersRowsWithAndWithoutMetadata) {
  const auto v = protocol_version::v4;
  const auto s = prepare_statement("SELECT v FROM ks.t WHERE k = ?", "", v, {});
  EXPECT_TRUE(s.is_read);
  auto prepared = protocol::decode_result(s.prepared_body, v);
  ASSERT_TRUE(prepared.has_value());
  const auto& p = std::get<protocol::prepared_result>(*prepared);
  ASSERT_EQ(p.metadata.columns.size(), 1u);
  EXPECT_EQ(p.metadata.columns[0].name, "k");
  ASSERT_EQ(p.result_metadata.columns.size(), 1u);
  EXPECT_EQ(p.result_metadata.columns[0].name, "v");
  auto full = protocol::decode_result(s.answer_body, v);
  auto bare = protocol::decode_result(s.answer_body_no_metadata, v);
  ASSERT_TRUE(full && bare);
  const auto& bare_rows = std::get<protocol::rows_result>(*bare);
  EXPECT_TRUE(bare_rows.metadata.has_no_metadata());
  EXPECT_EQ(bare_rows.metadata.column_count, 1);
  EXPECT_EQ(bare_rows.rows.size(), 1u);
  EXPECT_EQ(std::get<protocol::rows_result>(*full).rows.size(), 1u);
}

TEST(StubAnswers, StatementIdsDependOnTextAndKeyspaceOnly) {
  EXPECT_EQ(statement_id("ks", "SELECT 1"), statement_id("ks", "SELECT 1"));
  EXPECT_NE(statement_id("ks", "SELECT 1"), statement_id("ks", "SELECT 2"));
  EXPECT_NE(statement_id("ks", "SELECT 1"), statement_id("other", "SELECT 1"));
}

}  // namespace
}  // namespace tandem::bench
