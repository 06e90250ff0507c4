#include "backfill/rate_control.hpp"

#include <algorithm>

namespace tandem::backfill {

aimd_limit::aimd_limit(unsigned max_limit, unsigned start)
    : max_(std::max(1u, max_limit)), limit_(std::clamp(start, 1u, std::max(1u, max_limit))) {}

void aimd_limit::on_success(std::chrono::microseconds latency) {
  backoff_ = std::chrono::milliseconds(0);
  const double us = static_cast<double>(latency.count());
  smoothed_us_ = smoothed_us_ == 0 ? us : smoothed_us_ * 0.9 + us * 0.1;
  // The baseline follows the best smoothed latency, and drifts up slowly so an old best does
  // not count every later latency as high forever.
  baseline_us_ = baseline_us_ == 0 ? smoothed_us_ : std::min(baseline_us_ * 1.001, smoothed_us_);
  ++since_decrease_;
  if (since_decrease_ > limit_ * 4 && smoothed_us_ > 2.0 * baseline_us_ &&
      smoothed_us_ > 5000.0) {
    decrease();  // queueing on the target: back off before it starts refusing
    return;
  }
  if (++successes_ >= limit_) {
    successes_ = 0;
    limit_ = std::min(max_, limit_ + 1);
  }
}

void aimd_limit::on_pushback() {
  using namespace std::chrono_literals;
  backoff_ = backoff_ == 0ms ? 100ms : std::min<std::chrono::milliseconds>(backoff_ * 2, 10s);
  if (since_decrease_ >= limit_) {
    decrease();
  }
}

void aimd_limit::decrease() {
  limit_ = std::max(1u, limit_ / 2);
  successes_ = 0;
  since_decrease_ = 0;
  ++decreases_;
}

std::chrono::microseconds token_bucket::take(double n, std::chrono::steady_clock::time_point now) {
  if (rate_ <= 0) {
    return std::chrono::microseconds(0);
  }
  if (!started_) {
    started_ = true;
    last_ = now;
  }
  const double elapsed = std::chrono::duration<double>(now - last_).count();
  last_ = now;
  tokens_ = std::min(rate_, tokens_ + elapsed * rate_);
  tokens_ -= n;
  if (tokens_ >= 0) {
    return std::chrono::microseconds(0);
  }
  return std::chrono::microseconds(static_cast<std::int64_t>(-tokens_ / rate_ * 1e6));
}

}  // namespace tandem::backfill
