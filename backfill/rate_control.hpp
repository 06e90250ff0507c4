// How hard the backfill pushes the target (DESIGN.md "Rate control"). Three parts, all pure (the
// caller supplies the clock readings):
//   aimd_limit       how many writes in flight: grows while latency stays near its best, eases
//                    off when it sees a queue forming on the target, halves on push-back;
//   pushback_pacer   how many writes a second once the target has refused some (Overloaded from
//                    a rate limit, a managed service's 429): a ceiling just under what it
//                    accepted, creeping up until it refuses again, and its retry-after hints;
//   token_bucket     the configured rows/s and bytes/s ceilings.
// Concurrency alone cannot hold a rate limit: one write in flight at 2 ms is already 500/s.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace tandem::backfill {

class aimd_limit {
 public:
  // `adaptive` false: the limit stays `start` whatever happens.
  aimd_limit(unsigned max_limit, unsigned start, bool adaptive = true);

  unsigned limit() const noexcept { return limit_; }

  // A write succeeded after `latency`. Once per round trip (every `limit` successes) the limit
  // moves: up by one while the estimated queue on the target, limit × (1 − best / current
  // latency), is short; down by a tenth when it is long (TCP Vegas' rule, as Netflix's
  // concurrency-limits library uses it). A busy machine's noise moves the limit by steps, not
  // halvings.
  // `now` ages the best latency (1 % a second), so a target that became slower for good (its
  // data grew, it compacts) is not taken for a queue forever.
  void on_success(std::chrono::microseconds latency, std::chrono::steady_clock::time_point now);

  // Overloaded, a timeout, a rate limit: halves the limit, once per round trip (a burst of
  // errors from one window halves it once).
  void on_pushback();

  std::uint64_t decreases() const noexcept { return decreases_; }

 private:
  void decrease(unsigned to);

  unsigned max_;
  unsigned limit_;
  bool adaptive_;
  unsigned since_change_ = 0;           // successes since the limit last moved
  unsigned since_decrease_ = 1u << 30;  // successes since the last decrease (none yet)
  double baseline_us_ = 0;  // the best smoothed latency seen, slowly forgotten
  double smoothed_us_ = 0;
  std::chrono::steady_clock::time_point aged_{};
  std::uint64_t decreases_ = 0;
};

// A requests/s ceiling the target sets by refusing. None until the first push-back; then 90 % of
// the rate the target accepted over the last window, rising 2 % a window while nothing is
// refused, cut again at the next refusal: the rate saws just under the target's limit.
class pushback_pacer {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds window{250};

  // A write the target accepted at `now`.
  void on_accepted(clock::time_point now) noexcept;

  // A write the target refused at `now`, with its retry-after hint if it gave one (no write
  // is sent before the hint has passed).
  void on_pushback(clock::time_point now, std::optional<std::chrono::milliseconds> hint) noexcept;

  // Takes one request's share at `now`: how long the caller must wait before sending it.
  std::chrono::microseconds take(clock::time_point now) noexcept;

  // The ceiling in requests/s, or 0 while there is none.
  double ceiling() const noexcept { return ceiling_; }
  std::uint64_t cuts() const noexcept { return cuts_; }

 private:
  void roll(clock::time_point now) noexcept;

  double ceiling_ = 0;
  double tokens_ = 0;
  double accepted_rate_ = 0;  // requests/s over the last complete window
  std::uint64_t window_count_ = 0;
  clock::time_point window_start_{};
  clock::time_point last_take_{};
  clock::time_point last_cut_{};
  clock::time_point paused_until_{};
  bool started_ = false;
  std::uint64_t cuts_ = 0;
};

// How long to wait before attempt `attempt` (1, 2, …) of one write the target refused:
// 50 ms doubling per attempt up to 5 s.
std::chrono::milliseconds retry_delay(int attempt) noexcept;

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
