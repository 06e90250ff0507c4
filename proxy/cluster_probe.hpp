// At start-up the proxy asks the source who it is (system.local): the data center, rack,
// release and cluster name that the proxy's own topology answers then report, so drivers'
// data-center-aware policies and version checks behave as they would against the source.
#pragma once

#include "client/cluster_connection.hpp"
#include "client/token_map.hpp"
#include "proxy/config.hpp"
#include "proxy/topology.hpp"

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>
#include <vector>

namespace tandem::proxy {

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
  std::vector<client::cluster_endpoint> nodes;
  // Every node's tokens and each keyspace's replication, for token-aware routing; null when
  // !ok or the partitioner is not Murmur3's.
  std::shared_ptr<const client::token_map> tokens;
};

// Probes the first of `hosts` that answers (the contact points, or the nodes known so far).
asio::awaitable<probe_outcome> probe_cluster_async(const client::cluster_settings& c,
                                                   std::shared_ptr<asio::ssl::context> tls,
                                                   std::string name,
                                                   std::vector<std::string> hosts);

// Connects to the first reachable contact point of `c` with protocol v4 and the configured
// credentials, and reads system.local. Blocking; bounded by the connect and request timeouts.
probe_outcome probe_cluster(const client::cluster_settings& c,
                            std::shared_ptr<boost::asio::ssl::context> tls,
                            const std::string& name);

// The topology the proxy reports: the configured instances (this one found by its listen
// address and port), with the source's identity where the probe succeeded.
topology_settings make_topology(const config& cfg, const probe_outcome& source);

}  // namespace tandem::proxy
