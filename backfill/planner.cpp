#include "backfill/planner.hpp"

#include <algorithm>
#include <limits>

namespace tandem::backfill {

std::uint64_t estimated_bytes(const std::vector<size_estimate>& estimates) {
  std::uint64_t total = 0;
  double share = 0;
  bool every_range_known = !estimates.empty();
  for (const auto& e : estimates) {
    if (e.mean_partition_size > 0 && e.partitions_count > 0) {
      total += static_cast<std::uint64_t>(e.mean_partition_size) *
               static_cast<std::uint64_t>(e.partitions_count);
    }
    if (e.range) {
      share += ring_share(*e.range);
    } else {
      every_range_known = false;
    }
  }
  // Shares below 1 % are noise (a node that owns almost nothing), not a reason to multiply.
  if (every_range_known && share > 0.01 && share < 1.0) {
    return static_cast<std::uint64_t>(static_cast<double>(total) / share);
  }
  return total;
}

std::uint32_t unit_count(std::uint64_t bytes, std::uint64_t unit_size, std::uint32_t min_units,
                         std::uint32_t max_units) {
  const std::uint64_t n = unit_size == 0 ? 1 : (bytes + unit_size - 1) / unit_size;
  return static_cast<std::uint32_t>(
      std::clamp<std::uint64_t>(n, std::max<std::uint32_t>(1, min_units), max_units));
}

std::vector<token_range> split_ring(std::uint32_t n) {
  n = std::max<std::uint32_t>(1, n);
  constexpr std::int64_t min = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
  // Width of the whole space (2^64 - 1 tokens): i/n of it is step*i + rem*i/n, without
  // overflow (rem < n <= 2^32).
  const std::uint64_t span = static_cast<std::uint64_t>(max) - static_cast<std::uint64_t>(min);
  const std::uint64_t step = span / n;
  const std::uint64_t rem = span % n;
  std::vector<token_range> out;
  std::int64_t start = min;
  for (std::uint32_t i = 1; i <= n; ++i) {
    const std::uint64_t offset = step * i + rem * i / n;
    const std::int64_t end =
        i == n ? max : static_cast<std::int64_t>(static_cast<std::uint64_t>(min) + offset);
    out.push_back({start, end});
    start = end;
  }
  return out;
}

double ring_share(const token_range& r) {
  const double width = static_cast<double>(static_cast<std::uint64_t>(r.end) -
                                           static_cast<std::uint64_t>(r.start));
  return std::clamp(width / 18446744073709551615.0, 0.0, 1.0);
}

}  // namespace tandem::backfill
