// The copy SELECT and the writes of one row (backfill/table_model.hpp), and the schema DDL
// (backfill/schema.hpp). The copy against real clusters: tests/integration/test_backfill.py.
#include "backfill/schema.hpp"
#include "backfill/table_model.hpp"

#include "protocol/wire_writer.hpp"

#include <gtest/gtest.h>

namespace tandem::backfill {
namespace {

protocol::bytes i32(std::int32_t v) {
  protocol::wire_writer w;
  w.write_int(v);
  return w.take();
}
protocol::bytes i64(std::int64_t v) {
  protocol::wire_writer w;
  w.write_long(v);
  return w.take();
}
protocol::bytes txt(std::string_view s) {
  return protocol::bytes(reinterpret_cast<const std::byte*>(s.data()),
                         reinterpret_cast<const std::byte*>(s.data()) + s.size());
}

table_def wide() {
  return make_table("ks", "t",
                    {{"v", column_kind::regular, -1, "text"},
                     {"c", column_kind::clustering, 0, "int"},
                     {"p", column_kind::partition_key, 0, "int"},
                     {"s", column_kind::static_column, -1, "text"},
                     {"l", column_kind::regular, -1, "list<int>"},
                     {"w", column_kind::regular, -1, "int"}},
                    {});
}

TEST(TableModel, ReadsEveryCellWithItsWritetimeAndTtlByTokenRange) {
  const auto t = wide();
  EXPECT_EQ(copy_select(t),
            "SELECT \"p\", \"c\", \"s\", WRITETIME(\"s\"), TTL(\"s\"), \"l\", \"v\", "
            "WRITETIME(\"v\"), TTL(\"v\"), \"w\", WRITETIME(\"w\"), TTL(\"w\") FROM \"ks\".\"t\" "
            "WHERE token(\"p\") > ? AND token(\"p\") <= ?");
  const auto l = layout_of(t);
  EXPECT_EQ(l.key_columns, 2u);
  ASSERT_EQ(l.values.size(), 4u);
  EXPECT_FALSE(l.values[1].writetime);  // the list: no single writetime
}

TEST(TableModel, GroupsCellsPerWritetimeAndTtlAndSkipsNulls) {
  const auto t = wide();
  const auto l = layout_of(t);
  // p, c, s, wt(s), ttl(s), l, v, wt(v), ttl(v), w, wt(w), ttl(w)
  protocol::result_row row = {i32(1), i32(2), txt("st"), i64(100), std::nullopt, std::nullopt,
                              txt("x"), i64(200), i32(60), i32(7), i64(200), i32(60)};
  const auto writes = writes_for_row(t, l, row, true, 999, 555);
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes[0].cql, "INSERT INTO \"ks\".\"t\" (\"p\", \"c\", \"s\") VALUES (?, ?, ?) "
                           "USING TIMESTAMP ? AND TTL ?");
  EXPECT_EQ(writes[0].values[3].data, i64(100));
  EXPECT_EQ(writes[0].values[4].data, i32(0));  // no TTL
  EXPECT_EQ(writes[1].cql, "INSERT INTO \"ks\".\"t\" (\"p\", \"c\", \"v\", \"w\") VALUES (?, ?, ?, ?) "
                           "USING TIMESTAMP ? AND TTL ?");
  EXPECT_EQ(writes[1].values[4].data, i64(200));
  EXPECT_EQ(writes[1].values[5].data, i32(60));
  // Not the partition's first row: no static cell again.
  const auto later = writes_for_row(t, l, row, false, 999, 555);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].values.size(), 6u);
}

TEST(TableModel, WritesUndatedCellsAndBareRowsBelowT0) {
  const auto t = wide();
  const auto l = layout_of(t);
  protocol::bytes list = i32(0);
  protocol::result_row row = {i32(1), i32(2), std::nullopt, std::nullopt, std::nullopt, list,
                              std::nullopt, std::nullopt, std::nullopt, std::nullopt,
                              std::nullopt, std::nullopt};
  const auto writes = writes_for_row(t, l, row, true, 999, 555);
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes[0].cql, "UPDATE \"ks\".\"t\" USING TIMESTAMP ? SET \"l\" = ? WHERE \"p\" = ? AND \"c\" = ?");
  EXPECT_EQ(writes[0].values[0].data, i64(555));  // lists: the list timestamp
  EXPECT_EQ(writes[1].cql, "INSERT INTO \"ks\".\"t\" (\"p\", \"c\") VALUES (?, ?) USING TIMESTAMP ?");
  EXPECT_EQ(writes[1].values[2].data, i64(999));  // the row marker at T0-1
}

TEST(TableModel, ListTimestampsGrowWithTimeAndStayBelowT0) {
  const std::int64_t t0 = 1'800'000'000'000'000;
  EXPECT_LT(list_timestamp_at(t0, t0), t0 - 1);
  EXPECT_LT(list_timestamp_at(t0, t0 + 10), list_timestamp_at(t0, t0 + 20));
  EXPECT_LT(list_timestamp_at(t0, t0 + (std::int64_t{1} << 50)), t0 - 1);
}

TEST(TableModel, CountersGetTheDifference) {
  const auto t = make_table("ks", "c",
                            {{"k", column_kind::partition_key, 0, "int"},
                             {"n", column_kind::regular, -1, "counter"}},
                            {});
  const auto l = layout_of(t);
  EXPECT_EQ(counter_read(t), "SELECT \"n\" FROM \"ks\".\"c\" WHERE \"k\" = ?");
  protocol::result_row source = {i32(1), i64(10)};
  auto d = counter_delta(t, l, source, protocol::result_row{i64(4)});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->cql, "UPDATE \"ks\".\"c\" SET \"n\" = \"n\" + ? WHERE \"k\" = ?");
  EXPECT_EQ(d->values[0].data, i64(6));
  EXPECT_FALSE(counter_delta(t, l, source, protocol::result_row{i64(10)}));
  EXPECT_TRUE(counter_delta(t, l, {i32(1), i64(0)}, std::nullopt));  // a zero counter exists
}

TEST(Schema, RecreatesTablesTypesKeyspacesAndIndexes) {
  schema_snapshot s;
  const auto t = wide();
  s.clustering_order[{"ks.t", "c"}] = "desc";
  EXPECT_EQ(create_table_cql(s, t),
            "CREATE TABLE IF NOT EXISTS \"ks\".\"t\" (\"p\" int, \"c\" int, \"s\" text STATIC, "
            "\"l\" list<int>, \"v\" text, \"w\" int, PRIMARY KEY ((\"p\"), \"c\")) WITH "
            "CLUSTERING ORDER BY (\"c\" DESC)");
  EXPECT_EQ(create_type_cql("ks", "addr", {{"street", "num"}, {"text", "int"}}),
            "CREATE TYPE IF NOT EXISTS \"ks\".\"addr\" (\"street\" text, \"num\" int)");
  EXPECT_EQ(create_keyspace_cql("ks", {{{"class", "SimpleStrategy"}, {"replication_factor", "1"}}, true}),
            "CREATE KEYSPACE IF NOT EXISTS \"ks\" WITH replication = {'class': 'SimpleStrategy', "
            "'replication_factor': '1'} AND durable_writes = true");
  EXPECT_EQ(create_index_cql("ks", "t", "t_v", {"COMPOSITES", {{"target", "v"}}}),
            "CREATE INDEX IF NOT EXISTS \"t_v\" ON \"ks\".\"t\" (v)");
}

TEST(Schema, DiffCreatesWhatIsMissingAndReportsWhatDiffers) {
  schema_snapshot source, target;
  source.keyspaces["ks"] = {{{"class", "SimpleStrategy"}}, true};
  source.tables[{"ks", "t"}] = wide();
  source.tables[{"ks", "u"}] = make_table("ks", "u", {{"k", column_kind::partition_key, 0, "int"}}, {});
  target.keyspaces["ks"] = {{{"class", "SimpleStrategy"}}, true};
  auto changed = wide();
  changed.columns.back().type = "bigint";  // w
  target.tables[{"ks", "t"}] = changed;
  const auto d = diff_schema(source, target);
  ASSERT_EQ(d.create.size(), 1u);
  EXPECT_NE(d.create[0].find("\"ks\".\"u\""), std::string::npos);
  ASSERT_EQ(d.differences.size(), 1u);
  EXPECT_EQ(d.differences[0], "table ks.t: column w is int on the source, bigint on the target (left alone)");
}

}  // namespace
}  // namespace tandem::backfill
