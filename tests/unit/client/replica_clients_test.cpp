// Which replicas a read of a token may go to (client/replica_clients.hpp): the ring's replicas
// of the token, first replica first, among the nodes connections may go to, at the port they
// are opened on.
#include "client/replica_clients.hpp"

#include <gtest/gtest.h>

namespace tandem::client {
namespace {

token_map three_nodes() {
  std::map<std::string, protocol::replication> keyspaces;
  keyspaces["rf1"] = protocol::replication{protocol::replication::strategy::simple, 1, {}};
  keyspaces["rf2"] = protocol::replication{protocol::replication::strategy::simple, 2, {}};
  // Node 1 owns (200, -100] (wrapping) and (0, 100]; node 2 (-100, 0]; node 3 (100, 200].
  return token_map({{{"10.0.0.1", 9042}, "dc1", "r1", {-100, 100}},
                    {{"10.0.0.2", 9042}, "dc1", "r1", {0}},
                    {{"10.0.0.3", 9042}, "dc1", "r1", {200}}},
                   std::move(keyspaces));
}

const std::vector<cluster_endpoint> all = {{"10.0.0.1", 9042}, {"10.0.0.2", 9042}, {"10.0.0.3", 9042}};

TEST(ReadableReplicas, AreTheTokensReplicasFirstReplicaFirst) {
  const auto ring = three_nodes();
  EXPECT_EQ(readable_replicas(ring, "rf1", 50, all, 9042), (std::vector<std::string>{"10.0.0.1"}));
  EXPECT_EQ(readable_replicas(ring, "rf1", -50, all, 9042), (std::vector<std::string>{"10.0.0.2"}));
  EXPECT_EQ(readable_replicas(ring, "rf1", 150, all, 9042), (std::vector<std::string>{"10.0.0.3"}));
  // A range's end token: (100, 200] is read from the node owning 200.
  EXPECT_EQ(readable_replicas(ring, "rf1", 200, all, 9042), (std::vector<std::string>{"10.0.0.3"}));
  // Past the last token the ring wraps to the first.
  EXPECT_EQ(readable_replicas(ring, "rf1", 300, all, 9042), (std::vector<std::string>{"10.0.0.1"}));
  EXPECT_EQ(readable_replicas(ring, "rf2", 150, all, 9042),
            (std::vector<std::string>{"10.0.0.3", "10.0.0.1"}));
}

TEST(ReadableReplicas, LeavesOutNodesThatCannotBeReachedAndUnknownKeyspaces) {
  const auto ring = three_nodes();
  // Another data center's node (not among the reachable ones) is not read from.
  const std::vector<cluster_endpoint> local = {{"10.0.0.1", 9042}, {"10.0.0.2", 9042}};
  EXPECT_EQ(readable_replicas(ring, "rf2", 150, local, 9042), (std::vector<std::string>{"10.0.0.1"}));
  EXPECT_TRUE(readable_replicas(ring, "rf1", 150, local, 9042).empty());
  // Connections go to the settings' port: a node on another port is not one of them.
  EXPECT_TRUE(readable_replicas(ring, "rf1", 50, all, 9043).empty());
  EXPECT_TRUE(readable_replicas(ring, "unknown", 50, all, 9042).empty());
}

}  // namespace
}  // namespace tandem::client
