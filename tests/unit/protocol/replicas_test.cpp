// Replica placement (protocol/ring/replicas.hpp) as tables: which nodes hold a token under
// SimpleStrategy and NetworkTopologyStrategy, racks included, and how replication maps read.
#include "protocol/ring/replicas.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace tandem::protocol {
namespace {

using nodes = std::vector<std::size_t>;

replication simple(std::size_t rf) {
  replication r;
  r.kind = replication::strategy::simple;
  r.factor = rf;
  return r;
}

replication nts(std::map<std::string, std::size_t> per_dc) {
  replication r;
  r.kind = replication::strategy::network_topology;
  r.per_datacenter = std::move(per_dc);
  return r;
}

// Three nodes, two tokens each, interleaved: 0 owns -100 and 200, 1 owns 0 and 300, 2 owns 100
// and 400.
token_ring three() {
  return token_ring({{"dc1", "r1", {-100, 200}}, {"dc1", "r1", {0, 300}}, {"dc1", "r1", {100, 400}}});
}

TEST(Replicas, SimpleStrategyWalksTheRingFromTheOwningToken) {
  struct row {
    std::int64_t token;
    std::size_t rf;
    nodes expected;
  };
  const std::vector<row> table = {
      {-100, 1, {0}},      // a ring token belongs to its own range (prev, t]
      {-99, 1, {1}},       // just after it: the next token's node
      {50, 2, {2, 0}},     // owned by 100 (node 2), then 200 (node 0)
      {301, 3, {2, 0, 1}}, // 400 (2), wraps to -100 (0), then 0 (1)
      {401, 1, {0}},       // past the largest token: the smallest owns it
      {-1000, 2, {0, 1}},
      {250, 5, {1, 2, 0}},  // more replicas than nodes: every node once
  };
  const auto ring = three();
  for (const auto& r : table) {
    EXPECT_EQ(ring.replicas(r.token, simple(r.rf)), r.expected) << r.token << " rf " << r.rf;
  }
}

TEST(Replicas, NetworkTopologyStrategyCountsEachDatacenter) {
  // dc1: nodes 0 and 2; dc2: nodes 1 and 3. Ring: 0@10, 1@20, 2@30, 3@40.
  const token_ring ring({{"dc1", "r1", {10}}, {"dc2", "r1", {20}}, {"dc1", "r1", {30}}, {"dc2", "r1", {40}}});
  EXPECT_EQ(ring.replicas(15, nts({{"dc1", 1}, {"dc2", 1}})), (nodes{1, 2}));
  EXPECT_EQ(ring.replicas(15, nts({{"dc1", 2}, {"dc2", 1}})), (nodes{1, 2, 0}));
  EXPECT_EQ(ring.replicas(15, nts({{"dc2", 2}})), (nodes{1, 3}));
  EXPECT_EQ(ring.replicas(35, nts({{"dc1", 1}})), (nodes{0}));  // wraps past 40 to 10
  EXPECT_EQ(ring.replicas(35, nts({{"dc3", 3}})), nodes{});     // a datacenter with no node
}

TEST(Replicas, NetworkTopologyStrategyPrefersRacksNotYetUsed) {
  // One datacenter, racks a, a, b, b in ring order 10, 20, 30, 40: RF 2 from token 5 takes node
  // 0 (rack a), passes over node 1 (rack a again), takes node 2 (rack b).
  const token_ring ring({{"dc1", "a", {10}}, {"dc1", "a", {20}}, {"dc1", "b", {30}}, {"dc1", "b", {40}}});
  EXPECT_EQ(ring.replicas(5, nts({{"dc1", 2}})), (nodes{0, 2}));
  // RF 3: once both racks hold one, the passed-over node 1 comes first, before node 3.
  EXPECT_EQ(ring.replicas(5, nts({{"dc1", 3}})), (nodes{0, 2, 1}));
  EXPECT_EQ(ring.replicas(25, nts({{"dc1", 3}})), (nodes{2, 0, 3}));
}

TEST(Replicas, APositionHasTheReplicasOfEveryTokenInItsRange) {
  // replicas(t) == replicas_at(position_of(t)): the token map precomputes the second.
  const auto ring = three();
  const std::vector<replication> strategies = {simple(1), simple(2), simple(3)};
  EXPECT_EQ(ring.positions(), 6u);
  for (std::int64_t t : {std::numeric_limits<std::int64_t>::min(), std::int64_t{-101},
                         std::int64_t{-100}, std::int64_t{-99}, std::int64_t{0}, std::int64_t{1},
                         std::int64_t{399}, std::int64_t{400}, std::int64_t{401},
                         std::numeric_limits<std::int64_t>::max()}) {
    for (const auto& r : strategies) {
      EXPECT_EQ(ring.replicas(t, r), ring.replicas_at(ring.position_of(t), r)) << t;
    }
  }
  EXPECT_EQ(ring.position_of(-100), 0u);
  EXPECT_EQ(ring.position_of(401), 0u);  // past the largest token: wraps to the smallest
  EXPECT_EQ(ring.position_of(0), 1u);
  EXPECT_EQ(ring.position_of(1), 2u);  // (0, 100] belongs to 100
  EXPECT_TRUE(ring.replicas_at(6, simple(1)).empty());
}

TEST(Replicas, AnEmptyRingHasNoReplicas) {
  const token_ring ring({});
  EXPECT_TRUE(ring.replicas(0, simple(3)).empty());
}

TEST(Replicas, ReadsTheReplicationMapOfAKeyspace) {
  const auto s = parse_replication({{"class", "org.apache.cassandra.locator.SimpleStrategy"},
                                    {"replication_factor", "3"}});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->kind, replication::strategy::simple);
  EXPECT_EQ(s->factor, 3u);
  const auto n = parse_replication({{"class", "org.apache.cassandra.locator.NetworkTopologyStrategy"},
                                    {"dc1", "3"}, {"dc2", "2/1"}});
  ASSERT_TRUE(n);
  EXPECT_EQ(n->kind, replication::strategy::network_topology);
  EXPECT_EQ(n->per_datacenter, (std::map<std::string, std::size_t>{{"dc1", 3}, {"dc2", 2}}));
  EXPECT_EQ(parse_replication({{"class", "org.apache.cassandra.locator.LocalStrategy"}})->kind,
            replication::strategy::local);
  EXPECT_FALSE(parse_replication({{"class", "com.example.CustomStrategy"}}));
  EXPECT_FALSE(parse_replication({{"class", "SimpleStrategy"}, {"replication_factor", "x"}}));
  EXPECT_FALSE(parse_replication({{"replication_factor", "3"}}));
}

}  // namespace
}  // namespace tandem::protocol
