// The arithmetic behind the status page's charts and `tandem status` (proxy/status_history.hpp).
#include "proxy/status_history.hpp"

#include <gtest/gtest.h>

namespace tandem::proxy {
namespace {

// A histogram with `n` observations of each given duration.
latency_histogram::snapshot observed(std::initializer_list<std::pair<double, int>> seconds_n) {
  latency_histogram h;
  for (auto [s, n] : seconds_n) {
    for (int i = 0; i < n; ++i) {
      h.observe(std::chrono::nanoseconds(static_cast<std::int64_t>(s * 1e9)));
    }
  }
  return h.read();
}

TEST(StatusHistory, P99IsTheBoundOfTheBucketHoldingTheNearestRank) {
  struct row {
    std::initializer_list<std::pair<double, int>> obs;
    double p99_ms;
  };
  const row rows[] = {
      {{}, 0.0},
      {{{0.0001, 1}}, 0.25},                  // one observation: its own bucket
      {{{0.003, 1}}, 5.0},                    // 3 ms lies in (2.5, 5]
      {{{0.0001, 99}, {0.2, 1}}, 0.25},       // 99 of 100 fast: the rank-99 one is fast
      {{{0.0001, 98}, {0.2, 2}}, 250.0},      // 98 fast: the rank-99 one is slow
      {{{0.0001, 1}, {60.0, 1}}, 10000.0},    // past the last bound: the last bound
  };
  for (const auto& r : rows) {
    EXPECT_DOUBLE_EQ(p99_upper_ms(observed(r.obs)), r.p99_ms);
  }
}

TEST(StatusHistory, SinceCountsOnlyWhatHappenedBetweenTwoReadings) {
  latency_histogram h;
  for (int i = 0; i < 1000; ++i) h.observe(std::chrono::microseconds(100));
  const auto before = h.read();
  for (int i = 0; i < 10; ++i) h.observe(std::chrono::milliseconds(200));
  const auto d = since(h.read(), before);
  EXPECT_EQ(d.count, 10u);
  // Over all time the p99 is fast; over the interval every request was slow.
  EXPECT_DOUBLE_EQ(p99_upper_ms(h.read()), 0.25);
  EXPECT_DOUBLE_EQ(p99_upper_ms(d), 250.0);
  EXPECT_NEAR(d.sum_seconds, 2.0, 1e-6);
}

TEST(StatusHistory, PointsAreRatesOverTheInterval) {
  status_reading a;
  a.unix_seconds = 100;
  a.target_write_failures = 4;
  a.backfill_rows = 1000;
  a.journal_pending = 9;
  status_reading b = a;
  b.unix_seconds = 105;
  latency_histogram client;
  for (int i = 0; i < 500; ++i) client.observe(std::chrono::microseconds(300));
  b.client = client.read();
  b.target_write_failures = 14;
  b.backfill_rows = 51000;
  b.journal_pending = 3;
  const auto p = point_between(a, b);
  EXPECT_DOUBLE_EQ(p.unix_seconds, 105);
  EXPECT_DOUBLE_EQ(p.client_requests_per_second, 100);
  EXPECT_DOUBLE_EQ(p.target_write_failures_per_second, 2);
  EXPECT_DOUBLE_EQ(p.backfill_rows_per_second, 10000);
  EXPECT_EQ(p.journal_pending, 3u);  // a level, not a rate
  EXPECT_DOUBLE_EQ(p.source_p99_ms, 0);  // no source requests in the interval
}

TEST(StatusHistory, ACounterThatWentDownCountsFromZero) {
  status_reading a;
  a.unix_seconds = 0;
  a.backfill_rows = 90000;  // the last run's count
  status_reading b;
  b.unix_seconds = 10;
  b.backfill_rows = 500;  // a new run began
  EXPECT_DOUBLE_EQ(point_between(a, b).backfill_rows_per_second, 50);
}

TEST(StatusHistory, KeepsTheLastFifteenMinutesOldestFirst) {
  status_history h;
  status_reading r;
  for (int i = 0; i <= 200; ++i) {
    r.unix_seconds = 5.0 * i;
    h.record(r);
  }
  const auto points = h.points();
  ASSERT_EQ(points.size(), status_history::capacity);
  EXPECT_DOUBLE_EQ(points.front().unix_seconds, 5.0 * (200 - 180 + 1));
  EXPECT_DOUBLE_EQ(points.back().unix_seconds, 1000.0);
  EXPECT_NE(h.json().find("\"interval_seconds\":5"), std::string::npos);
}

TEST(StatusHistory, TheFirstReadingOnlyStarts) {
  status_history h;
  h.record(status_reading{});
  EXPECT_TRUE(h.points().empty());
}

}  // namespace
}  // namespace tandem::proxy
