// The load generator's report: counts merge, errors are named by the spec's codes, and the
// JSON carries what tools/bench/run reads.
#include "tools/bench/load_report.hpp"

#include <gtest/gtest.h>

namespace tandem::bench {
namespace {

load_summary sample() {
  load_summary s;
  s.target = "127.0.0.1:9042";
  s.connections = 2;
  s.in_flight = 8;
  s.seconds = 2;
  s.counts.writes = 300;
  s.counts.reads = 100;
  s.counts.errors[0x1100] = 3;
  s.counts.errors[lost_with_connection] = 1;
  for (int i = 1; i <= 400; ++i) {
    s.counts.latency.record(static_cast<std::uint64_t>(i) * 1000);
  }
  return s;
}

TEST(LoadReport, NamesErrorsByTheSpecsCodes) {
  EXPECT_EQ(error_label(0x1100), "Write_timeout (0x1100)");
  EXPECT_EQ(error_label(0x2500), "Unprepared (0x2500)");
  EXPECT_EQ(error_label(lost_with_connection), "connection lost");
}

TEST(LoadReport, MergesCountsOfConnections) {
  load_counts a = sample().counts;
  load_counts b = sample().counts;
  a.merge(b);
  EXPECT_EQ(a.writes, 600u);
  EXPECT_EQ(a.error_total(), 8u);
  EXPECT_EQ(a.errors.at(0x1100), 6u);
  EXPECT_EQ(a.latency.count(), 800u);
}

TEST(LoadReport, JsonCarriesRatesErrorsAndPercentiles) {
  const std::string j = format_json(sample());
  EXPECT_NE(j.find("\"ops\":400"), std::string::npos) << j;
  EXPECT_NE(j.find("\"ops_per_s\":200.0"), std::string::npos) << j;
  EXPECT_NE(j.find("\"errors\":4"), std::string::npos) << j;
  EXPECT_NE(j.find("\"Write_timeout (0x1100)\":3"), std::string::npos) << j;
  EXPECT_NE(j.find("\"p50\":200."), std::string::npos) << j;  // 200 us, within 1/128
  EXPECT_NE(j.find("\"max\":400.0"), std::string::npos) << j;
}

TEST(LoadReport, TableShowsThroughputAndLatency) {
  const std::string t = format_table(sample());
  EXPECT_NE(t.find("ops/s         200"), std::string::npos) << t;
  EXPECT_NE(t.find("p99 "), std::string::npos) << t;
  EXPECT_NE(t.find("connection lost: 1"), std::string::npos) << t;
}

}  // namespace
}  // namespace tandem::bench
