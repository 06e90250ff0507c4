// Row comparison and the merge of two token-ordered streams (backfill/row_compare.hpp,
// backfill/range_merge.hpp). Against real clusters: tests/integration/test_validate.py.
#include "backfill/range_merge.hpp"
#include "backfill/row_compare.hpp"

#include "backfill/cell_values.hpp"

#include <gtest/gtest.h>

// Designated initializers name only the cells a case changes.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace tandem::backfill {
namespace {

table_def table() {
  return make_table("ks", "t",
                    {{"p", column_kind::partition_key, 0, "int"},
                     {"c", column_kind::clustering, 0, "int"},
                     {"s", column_kind::static_column, -1, "text"},
                     {"l", column_kind::regular, -1, "list<int>"},
                     {"v", column_kind::regular, -1, "text"}},
                    {});
}

std::optional<protocol::bytes> b(const protocol::value& v) { return v.data; }

struct cells {
  std::int64_t token = 0;
  std::int32_t p = 1;
  std::optional<std::int32_t> c = 1;
  std::optional<std::string> s;
  std::optional<std::string> v = "x";
  std::int64_t wt = 100;
  std::int32_t ttl = 0;
  std::int64_t static_wt = 50;
};

// p, c, s, WRITETIME(s), TTL(s), l, v, WRITETIME(v), TTL(v), token
protocol::result_row row(const cells& x) {
  protocol::result_row r;
  r.push_back(b(int_value(x.p)));
  r.push_back(x.c ? b(int_value(*x.c)) : std::nullopt);
  r.push_back(x.s ? b(text_value(*x.s)) : std::nullopt);
  r.push_back(x.s ? b(long_value(x.static_wt)) : std::nullopt);
  r.push_back(std::nullopt);
  r.push_back(std::nullopt);
  r.push_back(x.v ? b(text_value(*x.v)) : std::nullopt);
  r.push_back(x.v ? b(long_value(x.wt)) : std::nullopt);
  r.push_back(x.v && x.ttl ? b(int_value(x.ttl)) : std::nullopt);
  r.push_back(b(long_value(x.token)));
  return r;
}

std::vector<std::string> kinds(const std::vector<cell_difference>& d) {
  std::vector<std::string> out;
  for (const auto& x : d) out.push_back(std::string(x.column ? x.column->column->name : "row") + ":" + name_of(x.kind));
  return out;
}

TEST(RowCompare, ClassifiesEachCellByValueThenWritetimeThenTtl) {
  const auto t = table();
  const auto l = layout_of(t);
  struct tc {
    const char* what;
    cells source;
    cells target;
    std::vector<std::string> expected;
  };
  const std::vector<tc> cases = {
      {"equal rows", {}, {}, {}},
      {"another value", {}, {.v = "y"}, {"v:value_differs"}},
      {"a null against a value", {}, {.v = std::nullopt}, {"v:value_differs"}},
      {"both null", {.v = std::nullopt}, {.v = std::nullopt}, {}},
      {"another writetime", {}, {.wt = 101}, {"v:writetime_differs"}},
      {"a dropped TTL", {.ttl = 500}, {.ttl = 0}, {"v:ttl_differs"}},
      {"a TTL dropped by a newer write", {.ttl = 500}, {.wt = 101, .ttl = 0}, {"v:ttl_differs"}},
      {"a TTL read two seconds later", {.ttl = 500}, {.ttl = 498}, {}},
      {"a TTL far apart", {.ttl = 500}, {.ttl = 300}, {"v:ttl_differs"}},
      {"value wins over writetime", {}, {.v = "y", .wt = 7}, {"v:value_differs"}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(kinds(compare_rows(l, row(c.source), row(c.target), true, 2)), c.expected) << c.what;
  }
}

TEST(RowCompare, ComparesStaticsOnlyWhenAsked) {
  const auto t = table();  // the layout points into it
  const auto l = layout_of(t);
  const auto source = row({.s = "a"});
  const auto target = row({.s = "b"});
  EXPECT_EQ(kinds(compare_rows(l, source, target, true, 2)), std::vector<std::string>{"s:value_differs"});
  EXPECT_TRUE(compare_rows(l, source, target, false, 2).empty());
}

TEST(RowCompare, NewestWritetimeIgnoresNullCells) {
  const auto t = table();  // the layout points into it
  const auto l = layout_of(t);
  EXPECT_EQ(newest_writetime(l, row({.s = "a", .wt = 100, .static_wt = 300}), true), 300);
  EXPECT_EQ(newest_writetime(l, row({.s = "a", .wt = 100, .static_wt = 300}), false), 100);
  EXPECT_EQ(newest_writetime(l, row({.v = std::nullopt}), true), std::nullopt);
}

struct merge_result {
  int both = 0;
  std::vector<std::int32_t> source_only;  // clustering values
  std::vector<std::int32_t> target_only;
};

// Feeds pages of `page` rows alternately as the merge asks.
merge_result merge(const std::vector<cells>& source, const std::vector<cells>& target,
                   std::size_t page) {
  const auto t = table();
  const auto l = layout_of(t);
  range_merge m(l);
  std::size_t si = 0;
  std::size_t ti = 0;
  merge_result out;
  const auto collect = [&] {
    for (auto& r : m.take()) {
      if (r.source && r.target) {
        ++out.both;
      } else if (r.source) {
        out.source_only.push_back(*read_int((*r.source)[1]));
      } else {
        out.target_only.push_back(*read_int((*r.target)[1]));
      }
    }
  };
  for (int guard = 0; !m.finished() && guard < 10'000; ++guard) {
    const auto need = m.needs();
    EXPECT_NE(need, range_merge::side::none);
    if (need == range_merge::side::none) break;
    auto& rows = need == range_merge::side::source ? source : target;
    auto& i = need == range_merge::side::source ? si : ti;
    std::vector<protocol::result_row> batch;
    for (; i < rows.size() && batch.size() < page; ++i) batch.push_back(row(rows[i]));
    const bool last = i >= rows.size();
    if (need == range_merge::side::source) {
      m.add_source(std::move(batch), last);
    } else {
      m.add_target(std::move(batch), last);
    }
    collect();
  }
  EXPECT_TRUE(m.finished());
  return out;
}

std::vector<cells> rows_of(std::initializer_list<std::pair<std::int64_t, std::int32_t>> keys) {
  std::vector<cells> out;
  for (const auto& [token, c] : keys) {
    out.push_back({.token = token, .p = static_cast<std::int32_t>(token), .c = c});
  }
  return out;
}

TEST(RangeMerge, PairsEqualStreamsWhateverThePageSize) {
  const auto rows = rows_of({{-5, 1}, {-5, 2}, {-5, 3}, {7, 1}, {9, 1}, {9, 2}});
  for (std::size_t page : {1u, 2u, 4u, 100u}) {
    const auto r = merge(rows, rows, page);
    EXPECT_EQ(r.both, 6) << page;
    EXPECT_TRUE(r.source_only.empty() && r.target_only.empty()) << page;
  }
}

TEST(RangeMerge, FindsRowsAndPartitionsOnOneSideOnly) {
  const auto source = rows_of({{-5, 1}, {-5, 2}, {-5, 3}, {7, 10}, {9, 1}});
  const auto target = rows_of({{-5, 1}, {-5, 3}, {-5, 4}, {9, 1}, {12, 20}});
  for (std::size_t page : {1u, 2u, 3u, 100u}) {
    const auto r = merge(source, target, page);
    EXPECT_EQ(r.both, 3) << page;
    EXPECT_EQ(r.source_only, (std::vector<std::int32_t>{2, 10})) << page;
    EXPECT_EQ(r.target_only, (std::vector<std::int32_t>{4, 20})) << page;
  }
}

TEST(RangeMerge, HandlesAnEmptySide) {
  const auto rows = rows_of({{1, 1}, {2, 1}});
  EXPECT_EQ(merge(rows, {}, 1).source_only.size(), 2u);
  EXPECT_EQ(merge({}, rows, 1).target_only.size(), 2u);
  EXPECT_EQ(merge({}, {}, 1).both, 0);
}

}  // namespace
}  // namespace tandem::backfill
