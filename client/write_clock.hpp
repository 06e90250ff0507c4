// The proxy's write timestamp (DESIGN.md, one timestamp per mirrored write): microseconds since
// the Unix epoch, the unit of Cassandra's writetime and of the protocol's default timestamp
// (spec v4 §4.1.4, flag 0x20). Strictly increasing across all threads, so two writes through
// the proxy never share a timestamp (with equal timestamps Cassandra breaks the tie by value,
// not by arrival, and a later write could lose). Lock-free: one atomic and a CAS loop.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

namespace tandem::client {

class write_clock {
 public:
  // Microseconds since the epoch; injectable so tests can drive the clock (also backwards).
  using time_source = std::function<std::int64_t()>;

  write_clock();  // std::chrono::system_clock
  explicit write_clock(time_source now_us);

  write_clock(const write_clock&) = delete;
  write_clock& operator=(const write_clock&) = delete;

  // max(now, last + 1), and remembers it. If the system clock steps back (NTP), timestamps keep
  // rising by one microsecond per call until the clock catches up: a step back must never let
  // a later write get an older writetime than an earlier one.
  std::int64_t next();
  // The same with the caller's reading of the clock (`now_us`, not older than the request it
  // stamps): a burst of writes read together reads the clock once (issue 17).
  std::int64_t next(std::int64_t now_us);

  // The last timestamp handed out (0 before the first).
  std::int64_t last() const noexcept { return last_.load(std::memory_order_acquire); }

  static std::int64_t system_now_us() noexcept;

 private:
  time_source now_us_;
  std::atomic<std::int64_t> last_{0};
};

}  // namespace tandem::client
