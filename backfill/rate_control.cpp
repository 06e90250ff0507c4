#include "backfill/rate_control.hpp"

#include <algorithm>
#include <cmath>

namespace tandem::backfill {

aimd_limit::aimd_limit(unsigned max_limit, unsigned start, bool adaptive)
    : max_(std::max(1u, max_limit)),
      limit_(std::clamp(start, 1u, std::max(1u, max_limit))),
      adaptive_(adaptive) {}

void aimd_limit::on_success(std::chrono::microseconds latency,
                            std::chrono::steady_clock::time_point now) {
  if (!adaptive_) {
    return;
  }
  const double us = static_cast<double>(latency.count());
  smoothed_us_ = smoothed_us_ == 0 ? us : smoothed_us_ * 0.9 + us * 0.1;
  // The baseline follows the best smoothed latency and drifts up by time, not by sample: a
  // drift per sample would catch up with a standing queue within a few round trips and let
  // the limit climb past the knee to the ceiling.
  if (baseline_us_ == 0) {
    baseline_us_ = smoothed_us_;
    aged_ = now;
  } else {
    const double seconds = std::chrono::duration<double>(now - aged_).count();
    if (seconds > 0) {
      baseline_us_ *= 1.0 + 0.01 * seconds;
      aged_ = now;
    }
    baseline_us_ = std::min(baseline_us_, smoothed_us_);
  }
  ++since_decrease_;
  if (++since_change_ < limit_) {
    return;  // once per round trip
  }
  since_change_ = 0;
  // Vegas: how many of our writes wait in the target's queues. Below a millisecond of extra
  // latency there is no telling queueing from scheduling noise on a loopback machine.
  const double extra_us = smoothed_us_ - baseline_us_;
  const double queue = extra_us < 1000.0 ? 0.0 : limit_ * (extra_us / smoothed_us_);
  const double lg = std::log10(static_cast<double>(std::max(limit_, 10u)));
  const double alpha = 3.0 * lg;
  const double beta = 6.0 * lg;
  if (queue > beta) {
    decrease(limit_ - std::max(1u, limit_ / 10));
  } else if (queue < alpha) {
    limit_ = std::min(max_, limit_ + 1);
  }
}

void aimd_limit::on_pushback() {
  if (adaptive_ && since_decrease_ >= limit_) {
    decrease(limit_ / 2);
  }
}

void aimd_limit::decrease(unsigned to) {
  limit_ = std::max(1u, to);
  since_change_ = 0;
  since_decrease_ = 0;
  ++decreases_;
}

void pushback_pacer::roll(clock::time_point now) noexcept {
  if (!started_) {
    started_ = true;
    window_start_ = now;
    last_take_ = now;
    return;
  }
  const auto elapsed = now - window_start_;
  if (elapsed < window) {
    return;
  }
  accepted_rate_ = static_cast<double>(window_count_) / std::chrono::duration<double>(elapsed).count();
  window_count_ = 0;
  window_start_ = now;
  if (ceiling_ > 0 && now - last_cut_ >= window) {
    ceiling_ *= 1.02;  // nothing refused for a window: try a little more
  }
}

void pushback_pacer::on_accepted(clock::time_point now) noexcept {
  roll(now);
  ++window_count_;
}

void pushback_pacer::on_pushback(clock::time_point now,
                                 std::optional<std::chrono::milliseconds> hint) noexcept {
  roll(now);
  if (hint) {
    paused_until_ = std::max(paused_until_, now + *hint);
  }
  if (ceiling_ > 0 && now - last_cut_ < window) {
    return;  // the refusals of one window cut once
  }
  // What the target took: the last complete window, or this one so far if it says more.
  const double so_far = static_cast<double>(window_count_) /
                        std::max(0.001, std::chrono::duration<double>(now - window_start_).count());
  const double accepted = std::max(accepted_rate_, so_far);
  const double cut = std::max(1.0, 0.9 * accepted);
  ceiling_ = ceiling_ > 0 ? std::min(ceiling_ * 0.9, std::max(cut, ceiling_ * 0.5)) : cut;
  tokens_ = 0;
  last_cut_ = now;
  ++cuts_;
}

std::chrono::microseconds pushback_pacer::take(clock::time_point now) noexcept {
  roll(now);
  std::chrono::microseconds pause{0};
  if (now < paused_until_) {
    pause = std::chrono::duration_cast<std::chrono::microseconds>(paused_until_ - now);
  }
  if (ceiling_ <= 0) {
    return pause;
  }
  // A bucket of a tenth of a second: the pace is even, no burst after a quiet spell.
  const double elapsed = std::chrono::duration<double>(now - last_take_).count();
  last_take_ = now;
  tokens_ = std::min(ceiling_ * 0.1, tokens_ + std::max(0.0, elapsed) * ceiling_);
  tokens_ -= 1;
  const std::chrono::microseconds paced{
      tokens_ >= 0 ? 0 : static_cast<std::int64_t>(-tokens_ / ceiling_ * 1e6)};
  return std::max(pause, paced);
}

std::chrono::milliseconds retry_delay(int attempt) noexcept {
  const int doublings = std::clamp(attempt - 1, 0, 7);
  return std::min(std::chrono::milliseconds(50 << doublings), std::chrono::milliseconds(5000));
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
