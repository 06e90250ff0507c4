// Which node of a cluster the next connection goes to: round-robin over the known nodes,
// skipping for a while the ones a connection to which just failed or was lost (issue 15: a
// dead source node must not be tried by every client that fails over, and comes back into
// rotation once `retry_after` has passed since it last failed). Pure: the caller passes the
// time and serialises the calls (proxy_context holds it under its mutex).
#pragma once

#include "client/cluster_connection.hpp"

#include <chrono>
#include <cstddef>
#include <vector>

namespace tandem::proxy {

class node_rotation {
 public:
  using clock = std::chrono::steady_clock;

  explicit node_rotation(clock::duration retry_after = std::chrono::seconds(5))
      : retry_after_(retry_after) {}

  // Replaces the nodes; the down marks of nodes still listed are kept.
  void set_nodes(std::vector<client::cluster_endpoint> nodes);
  const std::vector<client::cluster_endpoint>& nodes() const noexcept { return nodes_; }

  // The next node in turn that is not marked down; when every node is marked down, the one
  // marked longest ago (a cluster that is wholly down is still tried, one node at a time).
  // Precondition: nodes() is not empty.
  client::cluster_endpoint next(clock::time_point now);

  void mark_down(const client::cluster_endpoint& e, clock::time_point now);
  void mark_up(const client::cluster_endpoint& e);
  bool is_down(const client::cluster_endpoint& e, clock::time_point now) const;

 private:
  struct mark {
    client::cluster_endpoint node;
    clock::time_point at;
  };
  clock::duration retry_after_;
  std::vector<client::cluster_endpoint> nodes_;
  std::vector<mark> down_;
  std::size_t turn_ = 0;
};

}  // namespace tandem::proxy
