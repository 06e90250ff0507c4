#include "client/cluster_probe.hpp"

#include "client/node_discovery.hpp"
#include "client/own_connection.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

namespace tandem::client {
namespace {

asio::awaitable<std::vector<discovered_node>> read_peers(cluster_connection& conn,
                                                         std::uint16_t port);

asio::awaitable<probe_outcome> probe_node(asio::any_io_executor ex, const cluster_settings& c,
                                          std::shared_ptr<asio::ssl::context> tls,
                                          const std::string& name, const std::string& host) {
  probe_outcome out;
  auto opened = co_await open_own_connection(ex, c, std::move(tls), name, host);
  if (!opened.conn) {
    out.error = opened.error;
    co_return out;
  }
  auto rows = co_await run_statement(
      *opened.conn,
      "SELECT data_center, rack, release_version, cluster_name, partitioner, tokens FROM system.local",
      protocol::consistency::one);
  auto peers = co_await read_peers(*opened.conn, c.port);
  auto keyspaces = co_await run_statement(
      *opened.conn, "SELECT keyspace_name, replication FROM system_schema.keyspaces",
      protocol::consistency::one);
  opened.conn->close("probe done");
  if (!rows.result || !std::holds_alternative<protocol::rows_result>(*rows.result)) {
    out.error = name + " did not answer system.local with rows" +
                (rows.error.empty() ? std::string() : ": " + rows.error);
    co_return out;
  }
  const auto& r = std::get<protocol::rows_result>(*rows.result);
  out.ok = true;
  out.data_center = first_row_text(r, "data_center");
  out.rack = first_row_text(r, "rack");
  out.release_version = first_row_text(r, "release_version");
  out.cluster_name = first_row_text(r, "cluster_name");
  out.partitioner = first_row_text(r, "partitioner");
  discovered_node self{host, c.port, out.data_center, out.rack, {}};
  for (std::size_t i = 0; i < r.metadata.columns.size(); ++i) {
    if (r.metadata.columns[i].name == "tokens" && !r.rows.empty() && r.rows[0].size() > i && r.rows[0][i]) {
      self.tokens = murmur3_tokens(text_collection(*r.rows[0][i]));
    }
  }
  out.nodes = choose_nodes(self, peers, c);
  if (out.partitioner.find("Murmur3Partitioner") != std::string::npos && keyspaces.result &&
      std::holds_alternative<protocol::rows_result>(*keyspaces.result)) {
    // The whole ring, every data center: replicas are placed over all of it (the choice among
    // them keeps to local_data_center, as connections do).
    std::vector<token_owner> owners;
    owners.push_back({{self.address, self.port}, self.data_center, self.rack, self.tokens});
    for (const auto& p : peers) {
      if (p.address != self.address || p.port != self.port) {
        owners.push_back({{p.address, p.port}, p.data_center, p.rack, p.tokens});
      }
    }
    out.tokens = std::make_shared<const token_map>(
        std::move(owners),
        keyspace_replication(std::get<protocol::rows_result>(*keyspaces.result)));
  }
  co_return out;
}

// The node's peers: system.peers_v2 (Cassandra 4.0+, with native ports), else system.peers.
asio::awaitable<std::vector<discovered_node>> read_peers(cluster_connection& conn,
                                                         std::uint16_t port) {
  auto rows = co_await run_statement(
      conn, "SELECT peer, native_address, native_port, data_center, rack, tokens FROM system.peers_v2",
      protocol::consistency::one);
  if (!rows.result || !std::holds_alternative<protocol::rows_result>(*rows.result)) {
    rows = co_await run_statement(conn, "SELECT peer, rpc_address, data_center, rack, tokens FROM system.peers",
                                  protocol::consistency::one);
  }
  if (!rows.result || !std::holds_alternative<protocol::rows_result>(*rows.result)) {
    co_return std::vector<discovered_node>{};
  }
  co_return peers_from_rows(std::get<protocol::rows_result>(*rows.result), port);
}

}  // namespace

asio::awaitable<probe_outcome> probe_cluster_async(const cluster_settings& c,
                                                   std::shared_ptr<asio::ssl::context> tls,
                                                   std::string name,
                                                   std::vector<std::string> hosts) {
  auto ex = co_await asio::this_coro::executor;
  probe_outcome last{false, name + ": no contact point to probe", {}, {}, {}, {}, {}, {}, {}};
  for (const auto& host : hosts) {
    auto result = co_await probe_node(ex, c, tls, name, host);
    if (result.ok) {
      co_return result;
    }
    last = std::move(result);
  }
  co_return last;
}

probe_outcome probe_cluster(const cluster_settings& c, std::shared_ptr<asio::ssl::context> tls,
                            const std::string& name) {
  asio::io_context io{1};
  std::optional<probe_outcome> result;
  asio::co_spawn(io, probe_cluster_async(c, std::move(tls), name, c.contact_points),
                 [&result](std::exception_ptr e, probe_outcome o) {
                   if (!e) {
                     result = std::move(o);
                   }
                 });
  io.run();
  return result.value_or(probe_outcome{false, name + " probe failed", {}, {}, {}, {}, {}, {}, {}});
}

}  // namespace tandem::client
