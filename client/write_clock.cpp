#include "client/write_clock.hpp"

#include <chrono>
#include <utility>

namespace tandem::client {

write_clock::write_clock() : write_clock(&write_clock::system_now_us) {}

write_clock::write_clock(time_source now_us) : now_us_(std::move(now_us)) {}

std::int64_t write_clock::system_now_us() noexcept {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count();
}

std::int64_t write_clock::next() { return next(now_us_()); }

std::int64_t write_clock::next(std::int64_t now) {
  std::int64_t last = last_.load(std::memory_order_acquire);
  for (;;) {
    const std::int64_t candidate = now > last ? now : last + 1;
    // On failure compare_exchange reloads `last`: another thread took a timestamp meanwhile,
    // so ours must be above theirs.
    if (last_.compare_exchange_weak(last, candidate, std::memory_order_acq_rel,
                                    std::memory_order_acquire)) {
      return candidate;
    }
  }
}

}  // namespace tandem::client
