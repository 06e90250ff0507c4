// One worker's connections to the nodes of a cluster, for reads that should be coordinated by a
// replica of what they read (issue 15: a backfill unit's token range read from a node that holds
// it, so the coordinator pays no extra hop to another node). A connection to a node is opened
// the first time a read wants it and kept; a node that cannot be reached is left alone for a
// while and the read goes to another replica, or to the worker's own connection.
#pragma once

#include "client/cluster_settings.hpp"
#include "client/cql_client.hpp"
#include "client/token_map.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace tandem::client {

namespace asio = boost::asio;

// The replicas of `token` in `keyspace` that may be read from: those among `reachable` (the
// nodes of the local data center the probe found) with the settings' port (connections are
// opened to a host at `port`), first replica first. Pure.
std::vector<std::string> readable_replicas(const token_map& ring, const std::string& keyspace,
                                           std::int64_t token,
                                           const std::vector<cluster_endpoint>& reachable,
                                           std::uint16_t port);

class replica_clients {
 public:
  struct options {
    asio::any_io_executor ex;
    cluster_settings settings;
    std::shared_ptr<asio::ssl::context> tls;
    std::string name;                          // "source": for messages
    std::shared_ptr<const token_map> ring;     // null: every read goes to `fallback`
    std::vector<cluster_endpoint> reachable;   // the nodes connections may go to
    std::size_t spread = 0;                    // which replica this worker prefers (its index)
  };

  replica_clients(options o, std::shared_ptr<cql_client> fallback)
      : o_(std::move(o)), fallback_(std::move(fallback)) {}

  // The connection to read `token` of `keyspace` through: one to a replica of it (the
  // `spread`-th of them first, so the workers share the replicas), else the fallback.
  asio::awaitable<std::shared_ptr<cql_client>> for_token(const std::string& keyspace,
                                                         std::int64_t token);

  std::uint64_t on_replica() const noexcept { return on_replica_; }
  std::uint64_t elsewhere() const noexcept { return elsewhere_; }
  // How many times the connections to replicas were opened again on another node.
  std::uint64_t reopened() const noexcept;
  // The replicas a read wanted that refused a connection, whose ranges went to other nodes.
  const std::set<std::string>& unreachable() const noexcept { return unreachable_seen_; }

  void close();

 private:
  asio::awaitable<std::shared_ptr<cql_client>> open_to(const std::string& host,
                                                       const std::vector<std::string>& others);

  options o_;
  std::shared_ptr<cql_client> fallback_;
  std::map<std::string, std::shared_ptr<cql_client>> open_;  // by host
  std::map<std::string, std::chrono::steady_clock::time_point> unreachable_until_;
  std::set<std::string> unreachable_seen_;
  std::uint64_t on_replica_ = 0;
  std::uint64_t elsewhere_ = 0;
};

}  // namespace tandem::client
