// The statements validation's repair writes (backfill/repair_statements.hpp) and the report's
// value rendering (backfill/value_json.hpp). Against real clusters: tests/integration/test_validate.py.
#include "backfill/repair_statements.hpp"
#include "backfill/value_json.hpp"

#include "backfill/cell_values.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace tandem::backfill {
namespace {

table_def repair_table() {
  return make_table("ks", "t",
                    {{"p", column_kind::partition_key, 0, "int"},
                     {"c", column_kind::clustering, 0, "int"},
                     {"s", column_kind::static_column, -1, "text"},
                     {"m", column_kind::regular, -1, "map<int, int>"},
                     {"v", column_kind::regular, -1, "text"}},
                    {});
}

std::optional<protocol::bytes> cell_of(const protocol::value& v) { return v.data; }

// p, c, s, WRITETIME(s), TTL(s), m, v, WRITETIME(v), TTL(v), token
protocol::result_row row(std::optional<std::int32_t> c) {
  return {cell_of(int_value(1)), c ? cell_of(int_value(*c)) : std::nullopt,
          cell_of(text_value("st")), cell_of(long_value(5)), std::nullopt,
          cell_of(text_value("mapbytes")), cell_of(text_value("x")), cell_of(long_value(7)),
          cell_of(int_value(60)), cell_of(long_value(-3))};
}

TEST(RepairStatements, SelectsARangeWithTheTokenLastAndARowByKey) {
  const auto t = repair_table();
  EXPECT_EQ(validation_select(t),
            "SELECT \"p\", \"c\", \"s\", WRITETIME(\"s\"), TTL(\"s\"), \"m\", \"v\", "
            "WRITETIME(\"v\"), TTL(\"v\"), token(\"p\") FROM \"ks\".\"t\" WHERE token(\"p\") > ? "
            "AND token(\"p\") <= ?");
  EXPECT_NE(row_select(t, false).find("WHERE \"p\" = ? AND \"c\" = ?"), std::string::npos);
  EXPECT_NE(row_select(t, true).find("WHERE \"p\" = ? LIMIT 1"), std::string::npos);
}

TEST(RepairStatements, DeletesARowOrAStaticOnlyRowAtTheGivenTimestamp) {
  const auto t = repair_table();
  const auto l = layout_of(t);
  const auto r = delete_row(t, l, row(2), 42);
  EXPECT_EQ(r.cql, "DELETE FROM \"ks\".\"t\" USING TIMESTAMP ? WHERE \"p\" = ? AND \"c\" = ?");
  ASSERT_EQ(r.values.size(), 3u);
  EXPECT_EQ(read_long(r.values[0].data), 42);
  const auto statics = delete_row(t, l, row(std::nullopt), 43);
  EXPECT_EQ(statics.cql, "DELETE \"s\" FROM \"ks\".\"t\" USING TIMESTAMP ? WHERE \"p\" = ?");
  EXPECT_EQ(statics.values.size(), 2u);
}

TEST(RepairStatements, WritesACellWithItsTtlAndAStaticByPartition) {
  const auto t = repair_table();
  const auto l = layout_of(t);
  const auto& v = l.values[2];  // "v"
  ASSERT_EQ(v.column->name, "v");
  const auto w = write_cell(t, l, v, row(2), 8, 60);
  EXPECT_EQ(w.cql, "UPDATE \"ks\".\"t\" USING TIMESTAMP ? AND TTL ? SET \"v\" = ? WHERE \"p\" = ? AND \"c\" = ?");
  EXPECT_EQ(read_int(w.values[1].data), 60);
  const auto s = write_cell(t, l, l.values[0], row(2), 8, 0);
  EXPECT_EQ(s.cql, "UPDATE \"ks\".\"t\" USING TIMESTAMP ? AND TTL ? SET \"s\" = ? WHERE \"p\" = ?");
}

TEST(RepairStatements, RestampsTheMarkerAndEveryNonNullCellAtOneTimestamp) {
  const auto t = repair_table();
  const auto l = layout_of(t);
  const auto all = restamp_row(t, l, row(2), 99);
  ASSERT_EQ(all.size(), 4u);  // marker, s, m, v
  EXPECT_EQ(all[0].cql, "INSERT INTO \"ks\".\"t\" (\"p\", \"c\") VALUES (?, ?) USING TIMESTAMP ?");
  for (const auto& s : all) {
    const auto& ts = s.cql.starts_with("INSERT") ? s.values.back() : s.values.front();
    EXPECT_EQ(read_long(ts.data), 99) << s.cql;
  }
  EXPECT_EQ(restamp_row(t, l, row(std::nullopt), 99).size(), 1u);  // the static only
}

TEST(ValueJson, RendersReadableTypesAndHexForTheRest) {
  const auto json = [](const std::string& type, const protocol::value& v) {
    return boost::json::serialize(value_json(type, v.data));
  };
  EXPECT_EQ(json("int", int_value(-5)), "-5");
  EXPECT_EQ(json("bigint", long_value(1LL << 40)), "1099511627776");
  EXPECT_EQ(json("text", text_value("hé")), "\"hé\"");
  EXPECT_EQ(json("double", double_value(2.5)), "2.5E0");
  EXPECT_EQ(json("blob", text_value("AB")), "\"0x4142\"");
  EXPECT_EQ(boost::json::serialize(value_json("int", std::nullopt)), "null");
  protocol::bytes uuid(16, std::byte{0xab});
  EXPECT_EQ(boost::json::serialize(value_json("uuid", uuid)), "\"abababab-abab-abab-abab-abababababab\"");
}

}  // namespace
}  // namespace tandem::backfill
