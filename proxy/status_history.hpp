// The last 15 minutes of the proxy in numbers, for the status page's charts and `tandem status`:
// every 5 s the sampler reads the counters and histograms and keeps one point (client
// requests/s, p99 per cluster, target write failures/s, journal pending, backfill rows/s).
// The arithmetic between two readings is pure and table-tested
// (tests/unit/proxy/status_history_test.cpp); the ring is guarded by a mutex because the
// sampler and the admin port run on the same thread today but need not tomorrow.
#pragma once

#include "proxy/metrics.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace tandem::backfill {
class control;
}

namespace tandem::proxy {

struct proxy_context;

// What the sampler reads at one moment.
struct status_reading {
  double unix_seconds = 0;
  latency_histogram::snapshot client;  // one observation per client request answered
  latency_histogram::snapshot source;
  latency_histogram::snapshot target;
  std::uint64_t target_write_failures = 0;
  std::uint64_t journal_pending = 0;
  std::uint64_t backfill_rows = 0;  // rows the backfill run by this proxy copied so far
};

// One point of the charts: rates over the interval that ends at `unix_seconds`.
struct status_point {
  double unix_seconds = 0;
  double client_requests_per_second = 0;
  double source_p99_ms = 0;  // of the requests answered in the interval (0: none)
  double target_p99_ms = 0;
  double target_write_failures_per_second = 0;
  std::uint64_t journal_pending = 0;  // at the end of the interval
  double backfill_rows_per_second = 0;
};

// The point between two readings. A counter that went down (a backfill restarted its count)
// counts from zero, never as a negative rate.
status_point point_between(const status_reading& before, const status_reading& after);

class status_history {
 public:
  static constexpr std::chrono::seconds interval{5};
  static constexpr std::size_t capacity = 180;  // 15 minutes of 5 s points

  // Adds the point between the previous reading and this one (the first reading only starts).
  void record(const status_reading& r);
  std::vector<status_point> points() const;
  // {"interval_seconds":5,"points":[{...},...]}, oldest first.
  std::string json() const;

 private:
  mutable std::mutex mutex_;
  std::optional<status_reading> last_;
  std::deque<status_point> points_;
};

// Reads the proxy every status_history::interval into ctx->history, until the io_context stops.
boost::asio::awaitable<void> sample_status(std::shared_ptr<proxy_context> ctx,
                                           std::shared_ptr<backfill::control> backfill);

}  // namespace tandem::proxy
