// Node discovery from system.peers_v2 / system.peers rows (node_discovery.hpp). Against the real
// clusters: tests/integration/test_proxy_discovery.py.
#include "client/node_discovery.hpp"

#include "unit/test_hex.hpp"

#include <gtest/gtest.h>

namespace tandem::proxy {
namespace {

protocol::bytes ipv4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  return {std::byte{a}, std::byte{b}, std::byte{c}, std::byte{d}};
}

protocol::bytes int_cell(std::uint32_t v) {
  return {std::byte(v >> 24), std::byte(v >> 16), std::byte(v >> 8), std::byte(v)};
}

protocol::bytes text_cell(std::string_view s) { return test::text_bytes(s); }

protocol::rows_result rows_of(std::vector<std::string> columns,
                              std::vector<protocol::result_row> rows) {
  protocol::rows_result r;
  for (auto& c : columns) {
    r.metadata.columns.push_back({"system", "peers_v2", std::move(c), {}});
  }
  r.rows = std::move(rows);
  return r;
}

TEST(NodeDiscovery, FormatsInetCells) {
  EXPECT_EQ(client::inet_text(ipv4(127, 0, 0, 2)), "127.0.0.2");
  protocol::bytes v6(16, std::byte{0});
  v6[15] = std::byte{1};
  EXPECT_EQ(client::inet_text(v6), "::1");
  EXPECT_EQ(client::inet_text(protocol::bytes(5, std::byte{1})), "");
}

TEST(NodeDiscovery, ReadsPeersV2WithTheirNativePorts) {
  auto r = rows_of({"peer", "native_address", "native_port", "data_center"},
                   {{ipv4(10, 0, 0, 1), ipv4(192, 168, 0, 1), int_cell(9142), text_cell("dc1")},
                    {ipv4(10, 0, 0, 2), ipv4(0, 0, 0, 0), std::nullopt, text_cell("dc2")},
                    {ipv4(10, 0, 0, 3), std::nullopt, int_cell(70000), text_cell("dc1")}});
  const auto peers = client::peers_from_rows(r, 9042);
  ASSERT_EQ(peers.size(), 3u);
  EXPECT_EQ(peers[0], (client::discovered_node{"192.168.0.1", 9142, "dc1", {}, {}}));
  // 0.0.0.0: the node listens everywhere; its peer address is where to reach it.
  EXPECT_EQ(peers[1], (client::discovered_node{"10.0.0.2", 9042, "dc2", {}, {}}));
  // No native address, and a port out of range: peer address, default port.
  EXPECT_EQ(peers[2], (client::discovered_node{"10.0.0.3", 9042, "dc1", {}, {}}));
}

TEST(NodeDiscovery, ReadsLegacyPeers) {
  auto r = rows_of({"peer", "rpc_address", "data_center"},
                   {{ipv4(10, 0, 0, 1), ipv4(10, 1, 0, 1), text_cell("dc1")}});
  const auto peers = client::peers_from_rows(r, 9043);
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_EQ(peers[0], (client::discovered_node{"10.1.0.1", 9043, "dc1", {}, {}}));
}

// The token map's inputs (token-aware routing): each peer's rack and its tokens, a set<text>
// cell of [int] n then n [bytes] (spec v4 §6.10).
TEST(NodeDiscovery, ReadsEachPeersRackAndTokens) {
  protocol::bytes tokens = int_cell(2);
  for (std::string_view t : {"-42", "9000000000000000000"}) {
    auto len = int_cell(static_cast<std::uint32_t>(t.size()));
    tokens.insert(tokens.end(), len.begin(), len.end());
    auto text = text_cell(t);
    tokens.insert(tokens.end(), text.begin(), text.end());
  }
  const auto peers = client::peers_from_rows(
      rows_of({"peer", "native_address", "data_center", "rack", "tokens"},
              {{ipv4(10, 0, 0, 1), ipv4(10, 0, 0, 1), text_cell("dc1"), text_cell("r2"), tokens},
               {ipv4(10, 0, 0, 2), ipv4(10, 0, 0, 2), text_cell("dc1"), std::nullopt, std::nullopt}}),
      9042);
  ASSERT_EQ(peers.size(), 2u);
  EXPECT_EQ(peers[0].rack, "r2");
  EXPECT_EQ(peers[0].tokens, (std::vector<std::int64_t>{-42, 9000000000000000000LL}));
  EXPECT_EQ(peers[1].rack, "");
  EXPECT_TRUE(peers[1].tokens.empty());  // no tokens (a node still joining): not in the ring
}

TEST(NodeDiscovery, ChoosesTheProbedNodeFirstWithoutDuplicates) {
  client::cluster_settings c;
  const auto nodes = client::choose_nodes({"127.0.0.2", 9042, "dc1", {}, {}},
                                  {{"127.0.0.4", 9042, "dc1", {}, {}}, {"127.0.0.2", 9042, "dc1", {}, {}}}, c);
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0], (client::cluster_endpoint{"127.0.0.2", 9042}));
  EXPECT_EQ(nodes[1], (client::cluster_endpoint{"127.0.0.4", 9042}));
}

TEST(NodeDiscovery, KeepsOnlyTheLocalDataCenterWhenSet) {
  client::cluster_settings c;
  c.local_data_center = "dc2";
  const auto nodes = client::choose_nodes({"127.0.0.2", 9042, "dc1", {}, {}},
                                  {{"127.0.0.4", 9042, "dc2", {}, {}}, {"127.0.0.5", 9042, "dc1", {}, {}}}, c);
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0], (client::cluster_endpoint{"127.0.0.4", 9042}));
  c.local_data_center = "dc9";
  EXPECT_TRUE(client::choose_nodes({"127.0.0.2", 9042, "dc1", {}, {}}, {}, c).empty());
}

}  // namespace
}  // namespace tandem::proxy
