#include "proxy/proxy_stats.hpp"

#include <utility>
#include <vector>

namespace tandem::proxy {

namespace {
std::atomic<std::uint64_t> next_stats_id{1};
}  // namespace

proxy_stats::proxy_stats() : id_(next_stats_id.fetch_add(1, std::memory_order_relaxed)) {}

proxy_counter_block& proxy_stats::local() {
  // The blocks this thread counts in, by instance (one in a running proxy; the unit tests make
  // many): the last one used first, so the request path never takes the mutex.
  thread_local std::vector<std::pair<std::uint64_t, proxy_counter_block*>> mine;
  if (!mine.empty() && mine.back().first == id_) {
    return *mine.back().second;
  }
  for (auto it = mine.begin(); it != mine.end(); ++it) {
    if (it->first == id_) {
      std::swap(*it, mine.back());
      return *mine.back().second;
    }
  }
  proxy_counter_block* block = nullptr;
  {
    std::lock_guard lock(mutex_);
    block = &blocks_.emplace_back();
  }
  mine.emplace_back(id_, block);
  return *block;
}

proxy_counts proxy_stats::snapshot() const {
  proxy_counts out;
  std::lock_guard lock(mutex_);
  for (const auto& b : blocks_) {
#define TANDEM_SUM_COUNTER(name, help) out.name += b.name.value.load(std::memory_order_relaxed);
    TANDEM_PROXY_COUNTERS(TANDEM_SUM_COUNTER)
#undef TANDEM_SUM_COUNTER
  }
  return out;
}

}  // namespace tandem::proxy
