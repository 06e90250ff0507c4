// The token map of one cluster, for token-aware routing (issue 15): every node's address and
// tokens (system.local and system.peers_v2 / system.peers, `tokens` set<text>), and each
// keyspace's replication (system_schema.keyspaces, `replication` map<text, text>). Built from
// rows, pure; the replica arithmetic is protocol/ring/replicas.hpp.
#pragma once

#include "protocol/messages/result.hpp"
#include "protocol/ring/replicas.hpp"
#include "client/cluster_connection.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::client {

struct token_owner {
  cluster_endpoint endpoint;
  std::string data_center;
  std::string rack;
  std::vector<std::int64_t> tokens;
};

class token_map {
 public:
  token_map(std::vector<token_owner> nodes, std::map<std::string, protocol::replication> keyspaces);

  // The replicas of `token` in `keyspace`, first replica first; empty when the keyspace (or
  // its replication class) is unknown, or the ring holds no tokens. Valid as long as the map:
  // every ring range's replicas are computed once, when the map is built (the proxy looks them
  // up on every token-aware EXECUTE, twice; issue 17: no allocation per request).
  std::span<const cluster_endpoint> replicas(const std::string& keyspace, std::int64_t token) const;

  bool knows(const std::string& keyspace) const { return table_of_.count(keyspace) != 0; }
  std::size_t node_count() const noexcept { return endpoints_.size(); }

 private:
  // One replication's replicas for every ring position (token_ring::position_of). Keyspaces
  // with equal replication share one.
  struct replica_table {
    protocol::replication replication;
    std::vector<std::vector<cluster_endpoint>> by_position;
  };

  std::vector<cluster_endpoint> endpoints_;
  protocol::token_ring ring_;
  std::vector<replica_table> tables_;
  std::map<std::string, std::size_t, std::less<>> table_of_;  // keyspace -> index in tables_
};

// The elements of a set<text> or list<text> cell (spec v4 §6.3/§6.10: [int] n, then n [bytes]):
// the `tokens` column. Empty for a malformed cell.
std::vector<std::string> text_collection(protocol::bytes_view cell);

// A map<text, text> cell (spec v4 §6.10): the `replication` column. Empty for a malformed cell.
std::map<std::string, std::string> text_map(protocol::bytes_view cell);

// A Murmur3 token written as decimal text (system.peers' tokens, system.size_estimates'
// range_start and range_end); nullopt for anything else (another partitioner's token).
std::optional<std::int64_t> murmur3_token_of_text(std::string_view text);

// Tokens written as decimal text; those that are not (another partitioner's) are left out.
std::vector<std::int64_t> murmur3_tokens(const std::vector<std::string>& texts);

// {keyspace: replication} from `SELECT keyspace_name, replication FROM system_schema.keyspaces`;
// keyspaces whose replication cannot be read are left out (they keep the usual routing).
std::map<std::string, protocol::replication> keyspace_replication(const protocol::rows_result& rows);

}  // namespace tandem::client
