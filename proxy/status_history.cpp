#include "proxy/status_history.hpp"

#include "backfill/control.hpp"
#include "client/write_clock.hpp"
#include "proxy/proxy_context.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>


namespace tandem::proxy {

namespace {
double rate(std::uint64_t before, std::uint64_t after, double seconds) {
  const std::uint64_t n = after >= before ? after - before : after;
  return seconds > 0 ? static_cast<double>(n) / seconds : 0.0;
}
}  // namespace

status_point point_between(const status_reading& before, const status_reading& after) {
  const double seconds = after.unix_seconds - before.unix_seconds;
  status_point p;
  p.unix_seconds = after.unix_seconds;
  p.client_requests_per_second = rate(before.client.count, after.client.count, seconds);
  p.source_p99_ms = p99_upper_ms(since(after.source, before.source));
  p.target_p99_ms = p99_upper_ms(since(after.target, before.target));
  p.target_write_failures_per_second =
      rate(before.target_write_failures, after.target_write_failures, seconds);
  p.journal_pending = after.journal_pending;
  p.backfill_rows_per_second = rate(before.backfill_rows, after.backfill_rows, seconds);
  return p;
}

void status_history::record(const status_reading& r) {
  std::lock_guard lock(mutex_);
  if (last_) {
    points_.push_back(point_between(*last_, r));
    while (points_.size() > capacity) {
      points_.pop_front();
    }
  }
  last_ = r;
}

std::vector<status_point> status_history::points() const {
  std::lock_guard lock(mutex_);
  return {points_.begin(), points_.end()};
}

std::string status_history::json() const {
  namespace json = boost::json;
  json::array points;
  for (const auto& p : this->points()) {
    points.push_back(json::object{
        {"t", p.unix_seconds},
        {"client_requests_per_second", p.client_requests_per_second},
        {"source_p99_ms", p.source_p99_ms},
        {"target_p99_ms", p.target_p99_ms},
        {"target_write_failures_per_second", p.target_write_failures_per_second},
        {"journal_pending", p.journal_pending},
        {"backfill_rows_per_second", p.backfill_rows_per_second},
    });
  }
  json::object o;
  o["interval_seconds"] = interval.count();
  o["capacity"] = capacity;
  o["points"] = std::move(points);
  return json::serialize(o) + "\n";
}

boost::asio::awaitable<void> sample_status(std::shared_ptr<proxy_context> ctx,
                                           std::shared_ptr<backfill::control> backfill) {
  boost::asio::steady_timer tick(co_await boost::asio::this_coro::executor);
  for (;;) {
    status_reading r;
    r.unix_seconds = static_cast<double>(client::write_clock::system_now_us()) / 1e6;
    r.client = ctx->client_latency.read();
    r.source = ctx->cluster_latency[static_cast<std::size_t>(cluster::source)].read();
    r.target = ctx->cluster_latency[static_cast<std::size_t>(cluster::target)].read();
    r.target_write_failures = ctx->stats.snapshot().target_write_failures;
    r.journal_pending = ctx->journal ? ctx->journal->state().pending_records : 0;
    r.backfill_rows = backfill ? backfill->rows_copied() : 0;
    ctx->history.record(r);
    tick.expires_after(status_history::interval);
    auto [ec] = co_await tick.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec) {
      co_return;
    }
  }
}

}  // namespace tandem::proxy
