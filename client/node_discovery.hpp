// Which nodes of a cluster the proxy opens client connections to: the node it probed and the
// peers that node lists (system.peers_v2, or system.peers on servers without it), restricted
// to <cluster>.local_data_center when that is set. Pure: rows in, endpoints out.
#pragma once

#include "protocol/messages/result.hpp"
#include "client/cluster_connection.hpp"
#include "client/cluster_settings.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace tandem::client {

struct discovered_node {
  std::string address;
  std::uint16_t port = 9042;
  std::string data_center;
  std::string rack;                  // when the rows have a rack column
  std::vector<std::int64_t> tokens;  // when the rows have a tokens column (token-aware routing)

  friend bool operator==(const discovered_node&, const discovered_node&) = default;
};

// The text form of an inet cell (spec v4 §6.8: 4 or 16 bytes); "" for anything else.
std::string inet_text(protocol::bytes_view cell);

// Peers from the rows of `SELECT peer, native_address, native_port, data_center, rack, tokens
// FROM system.peers_v2` or `SELECT peer, rpc_address, data_center, rack, tokens FROM
// system.peers` (rack and tokens optional). The native
// address falls back to `peer` when null or 0.0.0.0 (a node listening on every interface);
// the port to `default_port` when absent.
std::vector<discovered_node> peers_from_rows(const protocol::rows_result& rows,
                                             std::uint16_t default_port);

// The probed node first, then its peers, without duplicates, only those in
// c.local_data_center when it is set. Empty when no node qualifies.
std::vector<cluster_endpoint> choose_nodes(const discovered_node& probed,
                                           const std::vector<discovered_node>& peers,
                                           const cluster_settings& c);

}  // namespace tandem::client
