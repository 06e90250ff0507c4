// The statements that record T0 on the target and the reading of their conditional answers.
// The record itself runs against the real target in tests/integration/test_proxy_t0.py.
#include "proxy/t0_record.hpp"

#include "protocol/wire_writer.hpp"

#include <gtest/gtest.h>

namespace tandem::proxy {
namespace {

client::target_settings state_in(std::string keyspace) {
  client::target_settings t;
  t.state_keyspace = std::move(keyspace);
  return t;
}

protocol::bytes long_cell(std::int64_t v) {
  protocol::wire_writer w;
  w.write_long(v);
  return w.take();
}

protocol::rows_result conditional_rows(std::optional<bool> applied,
                                       std::optional<std::int64_t> value) {
  protocol::rows_result r;
  r.metadata.columns.push_back({"ks", "migration_state", "[applied]", {}});
  r.metadata.columns.push_back({"ks", "migration_state", "value", {}});
  protocol::result_row row;
  if (applied) {
    row.push_back(protocol::bytes{std::byte{*applied ? std::uint8_t{1} : std::uint8_t{0}}});
  } else {
    row.push_back(std::nullopt);
  }
  row.push_back(value ? std::optional<protocol::bytes>(long_cell(*value)) : std::nullopt);
  r.rows.push_back(row);
  return r;
}

TEST(T0Record, CreatesTheStateKeyspaceWithTheConfiguredReplication) {
  client::target_settings t = state_in("mig_state");
  t.state_replication = "{'class': 'NetworkTopologyStrategy', 'dc1': 3}";
  EXPECT_EQ(state_keyspace_ddl(t),
            "CREATE KEYSPACE IF NOT EXISTS mig_state WITH replication = "
            "{'class': 'NetworkTopologyStrategy', 'dc1': 3}");
  EXPECT_NE(migration_state_ddl(t).find(
                "CREATE TABLE IF NOT EXISTS mig_state.migration_state (name text PRIMARY KEY, "
                "value bigint"),
            std::string::npos);
}

TEST(T0Record, InsertsOnlyWhenAbsentAndLowersOnlyAnEarlierValue) {
  const client::target_settings t = state_in("tandem");
  const std::string insert = insert_t0_cql(t, 1700000000000123, "proxy a");
  EXPECT_NE(insert.find("VALUES ('t0', 1700000000000123,"), std::string::npos) << insert;
  EXPECT_TRUE(insert.ends_with("IF NOT EXISTS")) << insert;
  const std::string lower = lower_t0_cql(t, 1700000000000123, "proxy a");
  EXPECT_NE(lower.find("SET value = 1700000000000123"), std::string::npos) << lower;
  EXPECT_TRUE(lower.ends_with("WHERE name = 't0' IF value > 1700000000000123")) << lower;
}

TEST(T0Record, QuotesTheRecorderName) {
  const std::string insert = insert_t0_cql(state_in("tandem"), 5, "it's");
  EXPECT_NE(insert.find("'it''s'"), std::string::npos) << insert;
}

TEST(T0Record, ReadsAppliedAndTheExistingValue) {
  auto applied = read_conditional(conditional_rows(true, std::nullopt));
  ASSERT_TRUE(applied);
  EXPECT_TRUE(applied->applied);
  EXPECT_FALSE(applied->existing);

  auto refused = read_conditional(conditional_rows(false, 42));
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->applied);
  ASSERT_TRUE(refused->existing);
  EXPECT_EQ(*refused->existing, 42);
}

TEST(T0Record, RefusesAnAnswerWithoutApplied) {
  EXPECT_FALSE(read_conditional(conditional_rows(std::nullopt, 42)));
  EXPECT_FALSE(read_conditional(protocol::rows_result{}));
}

}  // namespace
}  // namespace tandem::proxy
