// The token map's parsing of system-table cells and its replica answers (client/token_map.hpp).
#include "client/token_map.hpp"

#include "protocol/wire_writer.hpp"

#include "unit/test_hex.hpp"

#include <gtest/gtest.h>

namespace tandem::client {
namespace {

using test::text_bytes;

// A collection cell: [int] n, then each element as [bytes].
protocol::bytes collection(const std::vector<std::string>& elements, std::int32_t count) {
  protocol::wire_writer w;
  w.write_int(count);
  for (const auto& e : elements) {
    const auto b = text_bytes(e);
    w.write_bytes(protocol::bytes_view(b));
  }
  return w.take();
}

TEST(TokenMap, ReadsTextSetsAndMaps) {
  const auto tokens = collection({"-9000000000000000000", "42", "9000000000000000000"}, 3);
  EXPECT_EQ(text_collection(tokens),
            (std::vector<std::string>{"-9000000000000000000", "42", "9000000000000000000"}));
  EXPECT_EQ(murmur3_tokens(text_collection(tokens)),
            (std::vector<std::int64_t>{-9000000000000000000LL, 42, 9000000000000000000LL}));
  // A count larger than the elements, or trailing bytes: malformed, empty.
  EXPECT_TRUE(text_collection(collection({"1"}, 2)).empty());
  auto trailing = collection({"1"}, 1);
  trailing.push_back(std::byte{0});
  EXPECT_TRUE(text_collection(trailing).empty());
  // Another partitioner's tokens (not integers) are left out.
  EXPECT_EQ(murmur3_tokens({"1", "abc", "", "12x"}), (std::vector<std::int64_t>{1}));

  const auto replication =
      collection({"class", "org.apache.cassandra.locator.SimpleStrategy", "replication_factor", "2"}, 2);
  EXPECT_EQ(text_map(replication),
            (std::map<std::string, std::string>{{"class", "org.apache.cassandra.locator.SimpleStrategy"},
                                                {"replication_factor", "2"}}));
}

TEST(TokenMap, ReadsEachKeyspacesReplicationFromItsRows) {
  protocol::rows_result rows;
  rows.metadata.columns = {{"system_schema", "keyspaces", "keyspace_name", {}},
                           {"system_schema", "keyspaces", "replication", {}}};
  rows.rows.push_back({text_bytes("app"),
                       collection({"class", "org.apache.cassandra.locator.SimpleStrategy",
                                   "replication_factor", "3"}, 2)});
  rows.rows.push_back({text_bytes("odd"), collection({"class", "com.example.Custom"}, 1)});
  rows.rows.push_back({text_bytes("null_replication"), std::nullopt});
  const auto keyspaces = keyspace_replication(rows);
  ASSERT_EQ(keyspaces.size(), 1u);
  EXPECT_EQ(keyspaces.at("app").factor, 3u);
}

TEST(TokenMap, AnswersTheReplicasOfAKeyspacesToken) {
  std::map<std::string, protocol::replication> keyspaces;
  keyspaces["one"].factor = 1;
  keyspaces["two"].factor = 2;
  token_map map({{{"10.0.0.1", 9042}, "dc1", "r1", {-100, 100}},
                 {{"10.0.0.2", 9042}, "dc1", "r1", {0, 200}}},
                std::move(keyspaces));
  auto replicas = [&](const std::string& ks, std::int64_t t) {
    const auto got = map.replicas(ks, t);
    return std::vector<cluster_endpoint>(got.begin(), got.end());
  };
  EXPECT_EQ(replicas("one", 50), (std::vector<cluster_endpoint>{{"10.0.0.1", 9042}}));
  EXPECT_EQ(replicas("one", 150), (std::vector<cluster_endpoint>{{"10.0.0.2", 9042}}));
  EXPECT_EQ(replicas("two", 150),
            (std::vector<cluster_endpoint>{{"10.0.0.2", 9042}, {"10.0.0.1", 9042}}));
  EXPECT_EQ(replicas("one", 250), (std::vector<cluster_endpoint>{{"10.0.0.1", 9042}}));  // wraps
  EXPECT_TRUE(map.replicas("unknown", 0).empty());
  EXPECT_TRUE(map.knows("one"));
  EXPECT_FALSE(map.knows("unknown"));
  EXPECT_EQ(map.node_count(), 2u);
}

}  // namespace
}  // namespace tandem::client
