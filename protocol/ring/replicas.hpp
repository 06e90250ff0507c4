// Which nodes hold a token's replicas: the token ring (every node's tokens, from system.local and
// system.peers) and a keyspace's replication (system_schema.keyspaces). Pure, so that the proxy's
// token-aware routing (issue 15) can be table-tested.
//
// A token t belongs to the range (previous ring token, first ring token >= t], wrapping past the
// largest; the node owning that ring token is the first replica. SimpleStrategy takes the next
// distinct nodes in ring order; NetworkTopologyStrategy does the same per datacenter, preferring
// a rack not yet used until every rack of the datacenter holds a replica, then the nodes it passed
// over, in the order it met them (Cassandra's locator/NetworkTopologyStrategy).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tandem::protocol {

struct ring_node {
  std::string datacenter;
  std::string rack;
  std::vector<std::int64_t> tokens;
};

struct replication {
  enum class strategy { simple, network_topology, local, everywhere };
  strategy kind = strategy::simple;
  std::size_t factor = 1;                             // SimpleStrategy
  std::map<std::string, std::size_t> per_datacenter;  // NetworkTopologyStrategy

  friend bool operator==(const replication&, const replication&) = default;
};

// The replication a keyspace's `replication` map describes ({'class': ..., 'replication_factor'
// or one entry per datacenter}); nullopt for a class or a factor it cannot read (such keyspaces
// keep today's routing). A factor like "3/1" (transient replicas) counts its full replicas.
std::optional<replication> parse_replication(const std::map<std::string, std::string>& options);

class token_ring {
 public:
  explicit token_ring(std::vector<ring_node> nodes);

  // The replicas of `token` as indices into the nodes given, first replica first. Empty when the
  // ring holds no tokens.
  std::vector<std::size_t> replicas(std::int64_t token, const replication& r) const;

  // The same in two steps, for a caller that computes every range's replicas once (the proxy's
  // token map, issue 17): the ring position whose range holds `token` (0 .. positions() - 1;
  // every token of one position has the same replicas), and the replicas of a position.
  std::size_t position_of(std::int64_t token) const noexcept;
  std::size_t positions() const noexcept { return ring_.size(); }
  std::vector<std::size_t> replicas_at(std::size_t position, const replication& r) const;

  std::size_t size() const noexcept { return nodes_.size(); }

 private:
  std::vector<ring_node> nodes_;
  std::vector<std::pair<std::int64_t, std::size_t>> ring_;  // (token, node), sorted by token
};

}  // namespace tandem::protocol
