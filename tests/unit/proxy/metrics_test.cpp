// Metric types and the Prometheus text writer (metrics.hpp), and the routing state file
// (routing_state.hpp). promtool checks the whole exposition in the integration tests.
#include "proxy/metrics.hpp"
#include "proxy/routing_state.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

namespace tandem::proxy {
namespace {

using namespace std::chrono_literals;

TEST(Metrics, HistogramBucketsAreCumulativeWithSumAndCount) {
  latency_histogram h;
  h.observe(100us);   // <= 0.00025
  h.observe(800us);   // <= 0.001
  h.observe(3ms);     // <= 0.005
  h.observe(30s);     // +Inf only
  const auto s = h.read();
  EXPECT_EQ(s.cumulative[0], 1u);
  EXPECT_EQ(s.cumulative[2], 2u);   // 0.001
  EXPECT_EQ(s.cumulative[4], 3u);   // 0.005
  EXPECT_EQ(s.cumulative[latency_bounds.size() - 1], 3u);
  EXPECT_EQ(s.cumulative.back(), 4u);
  EXPECT_EQ(s.count, 4u);
  EXPECT_NEAR(s.sum_seconds, 30.0039, 1e-9);
}

TEST(Metrics, HistogramSumsTheObservationsOfEveryThread) {
  // Each thread observes into a block of its own (issue 17); a reading sums them all.
  latency_histogram h;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h, t] {
      for (int i = 0; i < 1000; ++i) {
        h.observe(t % 2 == 0 ? std::chrono::microseconds(100) : std::chrono::milliseconds(2));
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  h.observe(std::chrono::seconds(20));  // this thread's block: past the last bound
  const auto s = h.read();
  EXPECT_EQ(s.count, 4001u);
  EXPECT_EQ(s.cumulative[0], 2000u);  // <= 250 us: the two threads at 100 us
  EXPECT_EQ(s.cumulative[3], 4000u);  // <= 2.5 ms: and the two at 2 ms
  EXPECT_EQ(s.cumulative.back(), 4001u);
  EXPECT_NEAR(s.sum_seconds, 2000 * 0.0001 + 2000 * 0.002 + 20, 1e-6);
}

TEST(Metrics, ErrorsAreCountedByClusterAndName) {
  error_counters e;
  e.count_code(cluster::target, 0x1001);
  e.count_code(cluster::target, 0x1001);
  e.count_code(cluster::source, 0x7777);  // unknown code
  e.count_local(cluster::target, "proxy_timeout");
  const auto r = e.read();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].c, cluster::source);
  EXPECT_EQ(r[0].error, "other_code");
  EXPECT_EQ(r[1].error, "overloaded");
  EXPECT_EQ(r[1].count, 2u);
  EXPECT_EQ(r[2].error, "proxy_timeout");
}

TEST(Metrics, WriterEscapesAndFormats) {
  prometheus_writer w;
  w.family("tandem_x_total", "counter", "Help with \\ and\nnewline.");
  w.sample("tandem_x_total", {{"a", "q\"uote"}, {"b", "back\\slash\nnl"}}, std::uint64_t{3});
  w.sample("tandem_y", {}, 0.5);
  EXPECT_EQ(w.text(),
            "# HELP tandem_x_total Help with \\\\ and\\nnewline.\n"
            "# TYPE tandem_x_total counter\n"
            "tandem_x_total{a=\"q\\\"uote\",b=\"back\\\\slash\\nnl\"} 3\n"
            "tandem_y 0.5\n");
  EXPECT_EQ(prometheus_number(1.0 / 0.0), "+Inf");
  EXPECT_EQ(prometheus_number(0.00025), "0.00025");
}

TEST(Metrics, WriterWritesHistogramSeries) {
  latency_histogram h;
  h.observe(2ms);
  prometheus_writer w;
  w.histogram("tandem_d_seconds", {{"cluster", "source"}}, h.read());
  const std::string& t = w.text();
  EXPECT_NE(t.find("tandem_d_seconds_bucket{cluster=\"source\",le=\"0.001\"} 0\n"), std::string::npos) << t;
  EXPECT_NE(t.find("tandem_d_seconds_bucket{cluster=\"source\",le=\"0.0025\"} 1\n"), std::string::npos) << t;
  EXPECT_NE(t.find("tandem_d_seconds_bucket{cluster=\"source\",le=\"+Inf\"} 1\n"), std::string::npos) << t;
  EXPECT_NE(t.find("tandem_d_seconds_count{cluster=\"source\"} 1\n"), std::string::npos) << t;
}

TEST(RoutingState, ParsesOnlyTheTwoChoices) {
  EXPECT_EQ(parse_routing_state("primary=target\n"), cluster::target);
  EXPECT_EQ(parse_routing_state("primary=source"), cluster::source);
  EXPECT_FALSE(parse_routing_state("primary=origin"));
  EXPECT_FALSE(parse_routing_state(""));
  EXPECT_EQ(format_routing_state(cluster::target), "primary=target\n");
}

TEST(RoutingState, WritesAtomicallyAndReadsBack) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("tandem-routing-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "routing.state").string();
  std::filesystem::remove(path);
  EXPECT_FALSE(read_routing_file(path).primary);
  EXPECT_TRUE(read_routing_file(path).error.empty());
  EXPECT_EQ(write_routing_file(path, cluster::target), "");
  EXPECT_EQ(read_routing_file(path).primary, cluster::target);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  std::ofstream(path) << "garbage";
  EXPECT_NE(read_routing_file(path).error.find("does not hold"), std::string::npos);
  EXPECT_NE(write_routing_file((dir / "missing" / "x").string(), cluster::source), "");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tandem::proxy
