// What a cluster says of itself, read from one node (system.local, system.peers_v2 or
// system.peers, system_schema.keyspaces): its identity, the nodes to connect to, and its ring
// (every node's tokens and each keyspace's replication) for choosing replicas. The proxy probes
// both clusters at start-up and every minute; the backfill probes the source to read each unit
// from a replica of its range (issue 15).
#pragma once

#include "client/cluster_connection.hpp"
#include "client/cluster_settings.hpp"
#include "client/token_map.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>
#include <vector>

namespace tandem::client {

namespace asio = boost::asio;

struct probe_outcome {
  bool ok = false;
  std::string error;  // what failed, when !ok
  std::string data_center;
  std::string rack;
  std::string release_version;
  std::string cluster_name;
  std::string partitioner;
  // The nodes client connections go to (node_discovery.hpp); empty when !ok.
  std::vector<cluster_endpoint> nodes;
  // Every node's tokens and each keyspace's replication, for token-aware routing; null when
  // !ok or the partitioner is not Murmur3's.
  std::shared_ptr<const token_map> tokens;
};

// Probes the first of `hosts` that answers (the contact points, or the nodes known so far).
asio::awaitable<probe_outcome> probe_cluster_async(const cluster_settings& c,
                                                   std::shared_ptr<asio::ssl::context> tls,
                                                   std::string name,
                                                   std::vector<std::string> hosts);

// Connects to the first reachable contact point of `c` with protocol v4 and the configured
// credentials, and reads system.local. Blocking; bounded by the connect and request timeouts.
probe_outcome probe_cluster(const cluster_settings& c, std::shared_ptr<asio::ssl::context> tls,
                            const std::string& name);

}  // namespace tandem::client
