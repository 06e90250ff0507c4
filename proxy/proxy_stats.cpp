#include "proxy/proxy_stats.hpp"

namespace tandem::proxy {

proxy_counts proxy_stats::snapshot() const {
  proxy_counts out;
  blocks_.for_each([&](const proxy_counter_block& b) {
#define TANDEM_SUM_COUNTER(name, help) out.name += b.name.value.load(std::memory_order_relaxed);
    TANDEM_PROXY_COUNTERS(TANDEM_SUM_COUNTER)
#undef TANDEM_SUM_COUNTER
  });
  return out;
}

}  // namespace tandem::proxy
