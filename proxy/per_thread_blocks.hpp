// Statistics written by several threads without a locked instruction (issue 17): each thread
// that writes gets a block of its own, on cache lines of its own, and is its block's only
// writer; a reader sums the blocks. Used by the proxy's counters (proxy_stats) and its latency
// histograms (metrics.hpp).
#pragma once

#include <array>
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
    // A request touches several instances in turn (the counters, the histograms): each has a
    // slot of its own here, by id, so finding its block is one compare. Ids are never reused,
    // so a slot left by a destroyed instance never matches another.
    thread_local std::array<std::pair<std::uint64_t, Block*>, 16> recent{};
    auto& slot = recent[id_ % recent.size()];
    if (slot.first == id_) {
      return *slot.second;
    }
    Block& block = find_or_make();
    slot = {id_, &block};
    return block;
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
  Block& find_or_make() {
    // This thread's blocks of this type, by instance (a few in a running proxy; the unit tests
    // make many): searched when local()'s slot holds another instance, so a block is made
    // under the mutex once per thread and instance.
    thread_local std::vector<std::pair<std::uint64_t, Block*>> mine;
    for (const auto& [id, block] : mine) {
      if (id == id_) {
        return *block;
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

  const std::uint64_t id_;  // unique per instance: a thread's cached block never outlives it
  mutable std::mutex mutex_;
  std::deque<Block> blocks_;  // a deque: a block never moves once handed out
};

// A level that every thread raises and lowers by its own share, read as the sum: the requests
// in flight (each request ends on the thread it began on, so a thread's share never goes
// below zero). No locked instruction on the request path (issue 17).
class per_thread_level {
 public:
  void add(std::int64_t n) {
    auto& v = blocks_.local().value;
    v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void sub(std::int64_t n) { add(-n); }
  std::int64_t load() const {
    std::int64_t sum = 0;
    blocks_.for_each([&sum](const block& b) { sum += b.value.load(std::memory_order_relaxed); });
    return sum;
  }

 private:
  struct alignas(64) block {  // a cache line of its own: no false sharing between threads
    std::atomic<std::int64_t> value{0};
  };
  mutable per_thread_blocks<block> blocks_;
};

}  // namespace tandem::proxy
