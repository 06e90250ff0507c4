// How hard the backfill pushes the target (DESIGN.md "Rate control"): adaptive concurrency
// (additive increase, multiplicative decrease) driven by Overloaded errors, timeouts and rising
// latency, with an exponential backoff after each push-back; and token buckets for the rows/s
// and bytes/s ceilings. Pure: the caller supplies the clock readings.
#pragma once

#include <chrono>
#include <cstdint>

namespace tandem::backfill {

class aimd_limit {
 public:
  aimd_limit(unsigned max_limit, unsigned start);

  unsigned limit() const noexcept { return limit_; }

  // A write succeeded after `latency`. Grows the limit by one per `limit` successes (once per
  // round trip); a latency above twice the best recent one counts as push-back.
  void on_success(std::chrono::microseconds latency);

  // Overloaded, a timeout, a rate limit: halves the limit (once per round trip, so a burst of
  // errors from one window halves it once) and lengthens the backoff.
  void on_pushback();

  // How long to wait before the next write after push-back; zero once writes succeed again.
  std::chrono::milliseconds backoff() const noexcept { return backoff_; }

  std::uint64_t decreases() const noexcept { return decreases_; }

 private:
  void decrease();

  unsigned max_;
  unsigned limit_;
  unsigned successes_ = 0;
  unsigned since_decrease_ = 1u << 30;  // successes since the last decrease (none yet)
  double baseline_us_ = 0;       // the best smoothed latency seen, slowly forgotten
  double smoothed_us_ = 0;
  std::chrono::milliseconds backoff_{0};
  std::uint64_t decreases_ = 0;
};

// A ceiling of `rate` units per second (0: none), with one second of burst.
class token_bucket {
 public:
  explicit token_bucket(double rate) : rate_(rate), tokens_(rate) {}

  // Takes n units at time `now`; returns how long the caller must wait first (zero if none).
  std::chrono::microseconds take(double n, std::chrono::steady_clock::time_point now);

 private:
  double rate_;
  double tokens_;
  std::chrono::steady_clock::time_point last_{};
  bool started_ = false;
};

}  // namespace tandem::backfill
