// now()/uuid() in prepared writes: the text the clusters prepare, the metadata the client sees,
// and the values the proxy adds at EXECUTE (prepared_rewrite.hpp). The end-to-end behaviour
// against the real clusters is in tests/integration/test_proxy_functions.py.
#include "proxy/prepared_rewrite.hpp"

#include "unit/test_hex.hpp"

#include <gtest/gtest.h>

namespace tandem::proxy {
namespace {

using protocol::cql::nondeterministic_function;

prepare_rewrite rewrite(std::string_view text) {
  auto info = protocol::cql::classify(text);
  EXPECT_TRUE(info);
  auto r = rewrite_for_prepare(text, *info);
  EXPECT_TRUE(r) << text;
  return r ? *r : prepare_rewrite{};
}

protocol::column_spec column(std::string name) { return {"ks", "t", std::move(name), {}}; }

protocol::value text_value(std::string_view s) {
  return protocol::value::of(test::text_bytes(s));
}

TEST(PreparedRewrite, ReplacesEachCallWithATypedMarkerAtItsPosition) {
  const auto r = rewrite("INSERT INTO ks.t (k, t, u, ts, v) VALUES (?, now(), uuid(), "
                         "toTimestamp(now()), ?)");
  EXPECT_EQ(r.text, "INSERT INTO ks.t (k, t, u, ts, v) VALUES (?, (timeuuid)?, (uuid)?, "
                    "toTimestamp((timeuuid)?), ?)");
  ASSERT_EQ(r.markers.size(), 3u);
  EXPECT_EQ(r.markers[0].function, nondeterministic_function::now);
  EXPECT_EQ(r.markers[0].index, 1);
  EXPECT_EQ(r.markers[1].function, nondeterministic_function::uuid);
  EXPECT_EQ(r.markers[1].index, 2);
  EXPECT_EQ(r.markers[2].index, 3);
}

TEST(PreparedRewrite, UsesNamedMarkersWhenTheStatementDoes) {
  const auto r = rewrite("UPDATE ks.t SET t = currentTimeUUID(), d = currentDate() WHERE k = :k");
  EXPECT_EQ(r.text, "UPDATE ks.t SET t = (timeuuid):tandem_value_1, d = (date):tandem_value_2 "
                    "WHERE k = :k");
  ASSERT_EQ(r.markers.size(), 2u);
  EXPECT_EQ(r.markers[0].index, 0);
  EXPECT_EQ(r.markers[1].index, 1);
}

TEST(PreparedRewrite, LeavesAStatementWithoutCallsAlone) {
  auto info = protocol::cql::classify("INSERT INTO ks.t (k, a) VALUES (?, ?)");
  ASSERT_TRUE(info);
  EXPECT_FALSE(rewrite_for_prepare("INSERT INTO ks.t (k, a) VALUES (?, ?)", *info));
}

TEST(PreparedRewrite, HidesTheAddedMarkersAndRenumbersThePartitionKey) {
  auto r = rewrite("INSERT INTO ks.t (c, t, k) VALUES (?, now(), ?)");
  protocol::prepared_metadata m;
  m.columns = {column("c"), column("t"), column("k")};
  m.pk_indexes = {2};
  ASSERT_TRUE(hide_added_markers(m, r.markers, 3));
  ASSERT_EQ(m.columns.size(), 2u);
  EXPECT_EQ(m.columns[0].name, "c");
  EXPECT_EQ(m.columns[1].name, "k");
  EXPECT_EQ(m.pk_indexes, std::vector<std::uint16_t>{1});
  EXPECT_EQ(r.markers[0].name, "t");
}

TEST(PreparedRewrite, GivesNoPartitionKeyIndexesWhenACallIsPartOfIt) {
  auto r = rewrite("INSERT INTO ks.log (id, v) VALUES (now(), ?)");
  protocol::prepared_metadata m;
  m.columns = {column("id"), column("v")};
  m.pk_indexes = {0};
  ASSERT_TRUE(hide_added_markers(m, r.markers, 2));
  EXPECT_EQ(m.columns.size(), 1u);
  EXPECT_TRUE(m.pk_indexes.empty());
}

TEST(PreparedRewrite, RefusesMetadataOfAnotherShape) {
  auto r = rewrite("INSERT INTO ks.log (id, v) VALUES (now(), ?)");
  protocol::prepared_metadata m;
  m.columns = {column("v")};
  EXPECT_FALSE(hide_added_markers(m, r.markers, 2));
}

TEST(PreparedRewrite, InsertsPositionalValuesAtTheirIndexes) {
  auto r = rewrite("INSERT INTO ks.t (k, t, u, v) VALUES (?, now(), uuid(), ?)");
  std::vector<protocol::value> values{text_value("k"), text_value("v")};
  std::vector<literal_inputs> inputs(2);
  inputs[0].micros_since_epoch = 1'700'000'000'000'000;
  inputs[1].random[0] = std::uint8_t{0xab};
  ASSERT_TRUE(insert_added_values(values, nullptr, r.markers, inputs));
  ASSERT_EQ(values.size(), 4u);
  EXPECT_EQ(values[0], text_value("k"));
  EXPECT_EQ(values[1], protocol::value::of(value_for(nondeterministic_function::now, inputs[0])));
  EXPECT_EQ(values[2], protocol::value::of(value_for(nondeterministic_function::uuid, inputs[1])));
  EXPECT_EQ(values[3], text_value("v"));
}

TEST(PreparedRewrite, AppendsNamedValuesUnderTheMarkersNames) {
  auto r = rewrite("INSERT INTO ks.t (k, t) VALUES (:k, now())");
  r.markers[0].name = "tandem_value_1";
  std::vector<protocol::value> values{text_value("k")};
  std::vector<std::string> names{"k"};
  ASSERT_TRUE(insert_added_values(values, &names, r.markers, std::vector<literal_inputs>(1)));
  EXPECT_EQ(names, (std::vector<std::string>{"k", "tandem_value_1"}));
  EXPECT_EQ(values.size(), 2u);
}

TEST(PreparedRewrite, RefusesTooFewValuesOrInputs) {
  auto r = rewrite("INSERT INTO ks.t (a, b, t) VALUES (?, ?, now())");
  std::vector<protocol::value> one{text_value("a")};
  EXPECT_FALSE(insert_added_values(one, nullptr, r.markers, std::vector<literal_inputs>(1)));
  std::vector<protocol::value> two{text_value("a"), text_value("b")};
  EXPECT_FALSE(insert_added_values(two, nullptr, r.markers, {}));
}

}  // namespace
}  // namespace tandem::proxy
