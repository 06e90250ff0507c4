// The proxy's answers to system.local / system.peers / system.peers_v2: the tables survive the
// RESULT codec in every version, tokens split the ring evenly, peers list the other instances,
// and the SELECT parser, filter and projection handle what drivers send.
#include "proxy/topology.hpp"

#include "protocol/wire_reader.hpp"
#include "unit/test_hex.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <set>
#include <stdexcept>

namespace tandem::proxy {
namespace {

using protocol::bytes;
using protocol::protocol_version;
using protocol::type_id;

topology_settings three_instances(std::size_t self = 1) {
  topology_settings s;
  s.instances = {{"127.0.0.1", 9042}, {"127.0.0.4", 9042}, {"::1", 9043}};
  s.self_index = self;
  s.data_center = "dc-source";
  s.cluster_name = "Test Cluster";
  s.release_version = "5.0.7";
  s.schema_version[0] = std::byte{0xAB};
  return s;
}

std::vector<std::string> column_names(const protocol::rows_result& r) {
  std::vector<std::string> out;
  for (const auto& c : r.metadata.columns) {
    out.push_back(c.name);
  }
  return out;
}

const bytes& cell(const protocol::rows_result& r, std::size_t row, std::string_view column) {
  for (std::size_t i = 0; i < r.metadata.columns.size(); ++i) {
    if (r.metadata.columns[i].name == column) {
      if (!r.rows.at(row)[i]) {
        throw std::runtime_error("null cell " + std::string(column));
      }
      return *r.rows.at(row)[i];
    }
  }
  throw std::runtime_error("no column " + std::string(column));
}

std::string text(const bytes& b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

std::vector<std::string> text_set(const bytes& b) {
  protocol::wire_reader r(b);
  std::vector<std::string> out;
  const std::int32_t n = r.read_int().value();
  for (std::int32_t i = 0; i < n; ++i) {
    const auto v = r.read_bytes().value().value();
    out.emplace_back(reinterpret_cast<const char*>(v.data()), v.size());
  }
  EXPECT_TRUE(r.empty());
  return out;
}

TEST(Topology, LocalTableHasCassandra50ColumnsAndTypes) {
  const auto t = local_table(three_instances());
  EXPECT_EQ(column_names(t),
            (std::vector<std::string>{"key", "bootstrapped", "broadcast_address",
                                      "broadcast_port", "cluster_name", "cql_version",
                                      "data_center", "host_id", "listen_address", "listen_port",
                                      "native_protocol_version", "partitioner", "rack",
                                      "release_version", "rpc_address", "rpc_port",
                                      "schema_version", "tokens"}));
  EXPECT_EQ(t.metadata.columns[2].type.id, type_id::inet);
  EXPECT_EQ(t.metadata.columns[3].type.id, type_id::int_);
  EXPECT_EQ(t.metadata.columns[7].type.id, type_id::uuid);
  EXPECT_EQ(t.metadata.columns[17].type.id, type_id::set);
  EXPECT_EQ(t.metadata.columns[17].type.params.at(0).id, type_id::varchar);
  for (const auto& c : t.metadata.columns) {
    EXPECT_EQ(c.keyspace, "system");
    EXPECT_EQ(c.table, "local");
  }
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(text(cell(t, 0, "key")), "local");
  EXPECT_EQ(text(cell(t, 0, "data_center")), "dc-source");
  EXPECT_EQ(text(cell(t, 0, "cluster_name")), "Test Cluster");
  EXPECT_EQ(cell(t, 0, "rpc_address"), test::from_hex("7f000004"));
  EXPECT_EQ(cell(t, 0, "rpc_port"), test::from_hex("00002352"));  // 9042
  EXPECT_EQ(cell(t, 0, "schema_version")[0], std::byte{0xAB});
}

TEST(Topology, PeersListEveryOtherInstance) {
  const auto s = three_instances(1);
  const auto peers = peers_table(s);
  ASSERT_EQ(peers.rows.size(), 2u);
  EXPECT_EQ(cell(peers, 0, "rpc_address"), test::from_hex("7f000001"));
  EXPECT_EQ(cell(peers, 1, "rpc_address"), test::from_hex("00000000000000000000000000000001"));
  EXPECT_EQ(column_names(peers),
            (std::vector<std::string>{"peer", "data_center", "host_id", "preferred_ip", "rack",
                                      "release_version", "rpc_address", "schema_version",
                                      "tokens"}));
  const auto v2 = peers_v2_table(s);
  ASSERT_EQ(v2.rows.size(), 2u);
  EXPECT_EQ(cell(v2, 1, "native_address"), test::from_hex("00000000000000000000000000000001"));
  EXPECT_EQ(cell(v2, 1, "native_port"), test::from_hex("00002353"));  // 9043
  EXPECT_EQ(column_names(v2),
            (std::vector<std::string>{"peer", "peer_port", "data_center", "host_id",
                                      "native_address", "native_port", "preferred_ip",
                                      "preferred_port", "rack", "release_version",
                                      "schema_version", "tokens"}));
  // The local host id is nobody's peer host id.
  const auto local = local_table(s);
  for (std::size_t r = 0; r < peers.rows.size(); ++r) {
    EXPECT_NE(cell(peers, r, "host_id"), cell(local, 0, "host_id"));
  }
  topology_settings single;
  single.instances = {{"10.0.0.1", 9042}};
  EXPECT_TRUE(peers_table(single).rows.empty());
  EXPECT_TRUE(peers_v2_table(single).rows.empty());
}

TEST(Topology, TablesSurviveTheResultCodecInEveryVersion) {
  const auto s = three_instances();
  for (auto v : {protocol_version::v3, protocol_version::v4, protocol_version::v5}) {
    for (const auto& t : {local_table(s), peers_table(s), peers_v2_table(s)}) {
      const bytes body = protocol::encode_result(t, v);
      auto decoded = protocol::decode_result(body, v);
      ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
      ASSERT_TRUE(std::holds_alternative<protocol::rows_result>(*decoded));
      EXPECT_EQ(std::get<protocol::rows_result>(*decoded), t);
    }
  }
}

TEST(Topology, TokensSplitTheRingEvenlyAndUniquely) {
  for (std::size_t n : {1u, 2u, 3u, 5u}) {
    const auto tokens = ring_tokens(n, 16);
    ASSERT_EQ(tokens.size(), n * 16);
    EXPECT_EQ(tokens.front(), std::numeric_limits<std::int64_t>::min());
    EXPECT_TRUE(std::is_sorted(tokens.begin(), tokens.end()));
    EXPECT_EQ(std::set<std::int64_t>(tokens.begin(), tokens.end()).size(), tokens.size());
    const std::uint64_t step =
        static_cast<std::uint64_t>(tokens[1]) - static_cast<std::uint64_t>(tokens[0]);
    for (std::size_t i = 1; i < tokens.size(); ++i) {
      EXPECT_EQ(static_cast<std::uint64_t>(tokens[i]) - static_cast<std::uint64_t>(tokens[i - 1]),
                step);
    }
    // The last range (to the end of the ring) is as long as the others, give or take the
    // remainder of the division.
    const auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    const std::uint64_t tail = max - static_cast<std::uint64_t>(tokens.back()) + 1;
    EXPECT_GE(tail, step);
    EXPECT_LT(tail - step, tokens.size());
  }
  const std::int64_t min = std::numeric_limits<std::int64_t>::min();
  EXPECT_EQ(ring_tokens(2, 1), (std::vector<std::int64_t>{min, 0}));
}

TEST(Topology, InstancesOwnInterleavedTokens) {
  const auto s = three_instances();
  std::set<std::string> all;
  for (std::size_t i = 0; i < s.instances.size(); ++i) {
    const auto mine = instance_tokens(s, i);
    EXPECT_EQ(mine.size(), s.tokens_per_instance);
    all.insert(mine.begin(), mine.end());
  }
  EXPECT_EQ(all.size(), 3u * s.tokens_per_instance);
  EXPECT_EQ(instance_tokens(s, 0).front(), "-9223372036854775808");
  const auto local = local_table(s);
  EXPECT_EQ(text_set(cell(local, 0, "tokens")), instance_tokens(s, 1));
}

TEST(Topology, HostIdsAreStableVersion8UuidsPerAddressAndPort) {
  const auto a = derive_host_id({"127.0.0.1", 9042});
  EXPECT_EQ(a, derive_host_id({"127.0.0.1", 9042}));
  EXPECT_NE(a, derive_host_id({"127.0.0.1", 9043}));
  EXPECT_NE(a, derive_host_id({"127.0.0.2", 9042}));
  EXPECT_EQ(std::to_integer<int>(a[6]) >> 4, 8);
  EXPECT_EQ(std::to_integer<int>(a[8]) >> 6, 2);
}

TEST(Topology, ValidationNamesTheBadValue) {
  auto s = three_instances();
  EXPECT_NO_THROW(validate(s));
  s.instances[1].address = "proxy-b.example";
  try {
    validate(s);
    FAIL() << "a host name was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("proxy-b.example"), std::string::npos);
  }
  s = three_instances();
  s.self_index = 3;
  EXPECT_THROW(validate(s), std::invalid_argument);
  s = three_instances();
  s.tokens_per_instance = 0;
  EXPECT_THROW(validate(s), std::invalid_argument);
  EXPECT_THROW(validate(topology_settings{}), std::invalid_argument);
}

struct parse_row {
  std::string_view text;
  std::string_view table;
  bool star;
  std::vector<std::string> columns;  // aliases
  std::size_t conditions;
  std::size_t markers;
};

TEST(TopologySelect, ParsesWhatDriversSend) {
  const std::vector<parse_row> table{
      {"SELECT * FROM system.local WHERE key='local'", "local", true, {}, 1, 0},
      {"select * from system.peers", "peers", true, {}, 0, 0},
      {"SELECT * FROM system.peers_v2;", "peers_v2", true, {}, 0, 0},
      {"SELECT schema_version FROM system.local WHERE key='local'", "local", false,
       {"schema_version"}, 1, 0},
      {"SELECT peer, rpc_address, \"tokens\" FROM system.peers", "peers", false,
       {"peer", "rpc_address", "tokens"}, 0, 0},
      {"SELECT rpc_address AS addr FROM system.peers", "peers", false, {"addr"}, 0, 0},
      {"SELECT * FROM system.peers_v2 WHERE peer = :address and peer_port = :port", "peers_v2",
       true, {}, 2, 2},
      {"SELECT * FROM system.local WHERE key = ? LIMIT 1", "local", true, {}, 1, 1},
      {"SELECT * FROM system.local LIMIT ? ALLOW FILTERING", "local", true, {}, 0, 1},
  };
  for (const auto& row : table) {
    auto q = parse_system_select(row.text);
    ASSERT_TRUE(q.has_value()) << row.text << ": " << q.error();
    EXPECT_EQ(q->table, row.table) << row.text;
    EXPECT_EQ(q->star, row.star) << row.text;
    std::vector<std::string> aliases;
    for (const auto& item : q->items) {
      aliases.push_back(item.alias);
    }
    EXPECT_EQ(aliases, row.columns) << row.text;
    EXPECT_EQ(q->where.size(), row.conditions) << row.text;
    EXPECT_EQ(q->markers, row.markers) << row.text;
  }
}

TEST(TopologySelect, RejectsWhatItCannotAnswer) {
  for (std::string_view text :
       {"SELECT count(*) FROM system.local", "SELECT JSON * FROM system.local",
        "SELECT * FROM system.size_estimates", "SELECT * FROM ks.local",
        "SELECT * FROM system.peers WHERE peer IN ('127.0.0.1')",
        "SELECT * FROM system.local ORDER BY key", "INSERT INTO system.local (key) VALUES ('x')",
        "SELECT * FROM system.local WHERE key = 'unterminated"}) {
    EXPECT_FALSE(parse_system_select(text).has_value()) << text;
  }
}

TEST(TopologySelect, UnqualifiedTablesUseTheSessionKeyspace) {
  EXPECT_TRUE(parse_system_select("SELECT * FROM local", "system").has_value());
  EXPECT_FALSE(parse_system_select("SELECT * FROM local", "ks").has_value());
}

TEST(TopologySelect, MarkersRememberTheirNamesAndPositions) {
  auto q = parse_system_select("SELECT * FROM system.peers_v2 WHERE peer = :address AND "
                               "peer_port = :port");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->where[0], (where_equal{"peer", std::nullopt, 0, "address"}));
  EXPECT_EQ(q->where[1], (where_equal{"peer_port", std::nullopt, 1, "port"}));
}

TEST(TopologySelect, ProjectsTheRequestedColumnsInOrder) {
  const auto full = local_table(three_instances());
  auto p = project(full, std::vector<std::string>{"rpc_address", "key"});
  ASSERT_TRUE(p) << p.error();
  EXPECT_EQ(column_names(*p), (std::vector<std::string>{"rpc_address", "key"}));
  EXPECT_EQ(p->metadata.column_count, 2);
  EXPECT_EQ(text(cell(*p, 0, "key")), "local");
  auto star = project(full, std::vector<std::string>{"*"});
  ASSERT_TRUE(star);
  EXPECT_EQ(*star, full);
  auto bad = project(full, std::vector<std::string>{"key", "gossip_generation"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), "Undefined column name gossip_generation in table system.local");
}

TEST(TopologySelect, AnswersWithFiltersLiteralsAndBoundValues) {
  const auto s = three_instances(1);
  auto q = parse_system_select("SELECT peer, native_port AS port FROM system.peers_v2 WHERE "
                               "peer = '::1'");
  ASSERT_TRUE(q);
  auto r = answer_select(s, *q);
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(column_names(*r), (std::vector<std::string>{"peer", "port"}));
  EXPECT_EQ(cell(*r, 0, "port"), test::from_hex("00002353"));

  auto bound = parse_system_select("SELECT * FROM system.peers WHERE peer = ?");
  ASSERT_TRUE(bound);
  std::vector<std::optional<bytes>> values{test::from_hex("7f000001")};
  auto matched = answer_select(s, *bound, values);
  ASSERT_TRUE(matched);
  EXPECT_EQ(matched->rows.size(), 1u);
  EXPECT_EQ(answer_select(s, *bound)->rows.size(), 0u) << "a missing value matches nothing";

  auto local = parse_system_select("SELECT * FROM system.local WHERE key = 'other'");
  EXPECT_EQ(answer_select(s, *local)->rows.size(), 0u);
  auto unknown = parse_system_select("SELECT * FROM system.local WHERE nope = 'x'");
  EXPECT_FALSE(answer_select(s, *unknown).has_value());
  auto bad_port = parse_system_select("SELECT * FROM system.peers_v2 WHERE peer_port = 'x'");
  EXPECT_FALSE(answer_select(s, *bad_port).has_value());
}

TEST(TopologySelect, PreparesWithTheProxysOwnMetadata) {
  const auto s = three_instances();
  const std::string text = "SELECT * FROM system.peers_v2 WHERE peer = ? AND peer_port = ?";
  auto q = parse_system_select(text);
  ASSERT_TRUE(q);
  auto p = prepare_select(s, *q, text, "", protocol_version::v5);
  ASSERT_TRUE(p) << p.error();
  EXPECT_EQ(p->id.size(), 16u);
  EXPECT_EQ(p->result_metadata_id.size(), 16u);
  ASSERT_EQ(p->metadata.columns.size(), 2u);
  EXPECT_EQ(p->metadata.columns[0].name, "peer");
  EXPECT_EQ(p->metadata.columns[1].type.id, type_id::int_);
  EXPECT_EQ(p->metadata.pk_indexes, (std::vector<std::uint16_t>{0}));
  EXPECT_EQ(p->result_metadata.columns, peers_v2_table(s).metadata.columns);
  // Stable ids: the same text gets the same id, another text another.
  EXPECT_EQ(prepare_select(s, *q, text, "", protocol_version::v5)->id, p->id);
  EXPECT_NE(prepare_select(s, *q, text + " ", "", protocol_version::v5)->id, p->id);
  // v4 has no result metadata id; the prepared result round-trips the codec.
  auto v4 = prepare_select(s, *q, text, "", protocol_version::v4);
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->result_metadata_id.empty());
  for (auto v : {protocol_version::v4, protocol_version::v5}) {
    auto prepared = prepare_select(s, *q, text, "", v);
    auto decoded = protocol::decode_result(protocol::encode_result(*prepared, v), v);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(std::get<protocol::prepared_result>(*decoded), *prepared);
  }
}

// Issue 13: a SELECT of system.local the proxy cannot evaluate is answered by the primary with
// the proxy's own values put back.
TEST(TopologyForwarded, OnlySelectsOfSystemLocalAreForwarded) {
  EXPECT_TRUE(reads_system_local("SELECT intAsBlob(4) FROM system.local"));
  EXPECT_TRUE(reads_system_local("select count(*) from SYSTEM.\"local\""));
  EXPECT_TRUE(reads_system_local("SELECT JSON rpc_address FROM local", "system"));
  EXPECT_FALSE(reads_system_local("SELECT JSON rpc_address FROM local", "app"));
  EXPECT_FALSE(reads_system_local("SELECT intAsBlob(4) FROM system.peers"));
  EXPECT_FALSE(reads_system_local("SELECT * FROM app.local"));
  EXPECT_FALSE(reads_system_local("INSERT INTO system.local (key) VALUES ('x')"));
}

TEST(TopologyForwarded, ColumnsTheProxyAnswersForGetItsValues) {
  const auto s = three_instances(1);
  const auto own = local_table(s);
  // As a node would answer `SELECT rpc_address, intAsBlob(4), host_id AS h FROM system.local`.
  protocol::rows_result forwarded;
  const auto column = [&](std::string name, type_id id) {
    protocol::data_type type;
    type.id = id;
    return protocol::column_spec{"system", "local", std::move(name), std::move(type)};
  };
  forwarded.metadata.flags = protocol::metadata_flags::global_tables_spec;
  forwarded.metadata.columns = {column("rpc_address", type_id::inet),
                                column("system.intasblob(4)", type_id::blob),
                                column("h", type_id::uuid), column("cluster_name", type_id::blob)};
  forwarded.metadata.column_count = 4;
  const bytes node_address = test::from_hex("7f000002");
  const bytes four = test::from_hex("00000004");
  const bytes node_host_id = test::from_hex("07070707070707070707070707070707");
  const bytes name = test::from_hex("78");
  forwarded.rows = {{node_address, four, node_host_id, name}};
  const auto out = with_instance_values(s, forwarded);
  ASSERT_EQ(out.rows.size(), 1u);
  EXPECT_EQ(out.rows[0][0], cell(own, 0, "rpc_address"));  // the proxy's, by name and type
  EXPECT_EQ(out.rows[0][1], four);                         // a function: Cassandra's value
  EXPECT_EQ(out.rows[0][2], node_host_id);                 // aliased: not recognised, kept
  EXPECT_EQ(out.rows[0][3], name);                         // same name, another type: kept
  EXPECT_EQ(out.metadata, forwarded.metadata);
}

}  // namespace
}  // namespace tandem::proxy
