// Statistics written by several threads without a locked instruction (issue 17): each thread
// that writes gets a block of its own, on cache lines of its own, and is its block's only
// writer; a reader sums the blocks. Used by the proxy's counters (proxy_stats) and its latency
// histograms (metrics.hpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <utility>
#include <vector>

namespace tandem::proxy {

// A count with one writer (the thread whose block holds it); readers on other threads load it
// atomically, relaxed: these are statistics, not synchronisation.
struct local_counter {
  std::atomic<std::uint64_t> value{0};
};

inline void bump(local_counter& c, std::uint64_t n = 1) noexcept {
  c.value.store(c.value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

// A count several threads write: an atomic add.
inline void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) noexcept {
  c.fetch_add(n, std::memory_order_relaxed);
}

inline std::atomic<std::uint64_t> next_per_thread_blocks_id{1};

template <class Block>
class per_thread_blocks {
 public:
  per_thread_blocks() : id_(next_per_thread_blocks_id.fetch_add(1, std::memory_order_relaxed)) {}
  per_thread_blocks(const per_thread_blocks&) = delete;
  per_thread_blocks& operator=(const per_thread_blocks&) = delete;

  // The calling thread's block, made on the thread's first write.
  Block& local() {
    // This thread's blocks of this type, by instance (a few in a running proxy; the unit tests
    // make many): the last one used first, so the request path never takes the mutex.
    thread_local std::vector<std::pair<std::uint64_t, Block*>> mine;
    if (!mine.empty() && mine.back().first == id_) {
      return *mine.back().second;
    }
    for (auto it = mine.begin(); it != mine.end(); ++it) {
      if (it->first == id_) {
        std::swap(*it, mine.back());
        return *mine.back().second;
      }
    }
    Block* block = nullptr;
    {
      std::lock_guard lock(mutex_);
      block = &blocks_.emplace_back();
    }
    mine.emplace_back(id_, block);
    return *block;
  }

  // Calls f(block) for every thread's block, under the mutex (a reader's pace, not a writer's).
  template <class F>
  void for_each(F&& f) const {
    std::lock_guard lock(mutex_);
    for (const auto& b : blocks_) {
      f(b);
    }
  }

 private:
  const std::uint64_t id_;  // unique per instance: a thread's cached block never outlives it
  mutable std::mutex mutex_;
  std::deque<Block> blocks_;  // a deque: a block never moves once handed out
};

}  // namespace tandem::proxy
