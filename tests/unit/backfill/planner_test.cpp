// Token-ring splitting and unit counts (backfill/planner.hpp).
#include "backfill/planner.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace tandem::backfill {
namespace {

constexpr auto min = std::numeric_limits<std::int64_t>::min();
constexpr auto max = std::numeric_limits<std::int64_t>::max();

TEST(Planner, SplitsTheRingIntoContiguousRangesCoveringItOnce) {
  for (std::uint32_t n : {1u, 2u, 3u, 7u, 64u, 1000u}) {
    SCOPED_TRACE(n);
    const auto ranges = split_ring(n);
    ASSERT_EQ(ranges.size(), n);
    EXPECT_EQ(ranges.front().start, min);
    EXPECT_EQ(ranges.back().end, max);
    double share = 0;
    for (std::size_t i = 0; i < ranges.size(); ++i) {
      EXPECT_LT(ranges[i].start, ranges[i].end);
      if (i > 0) {
        EXPECT_EQ(ranges[i].start, ranges[i - 1].end);
      }
      share += ring_share(ranges[i]);
    }
    EXPECT_NEAR(share, 1.0, 1e-9);
  }
  const auto two = split_ring(2);
  EXPECT_EQ(two[0].end, -1);  // the middle of (-2^63, 2^63-1]
}

TEST(Planner, CountsUnitsFromTheEstimatedSize) {
  EXPECT_EQ(estimated_bytes({{100, 10}, {50, 4}, {-1, 5}}), 1200u);
  EXPECT_EQ(unit_count(0, 64 << 20, 8), 8u);               // no estimate yet: the minimum
  EXPECT_EQ(unit_count(640ull << 20, 64 << 20, 8), 10u);   // 640 MiB in 64 MiB units
  EXPECT_EQ(unit_count(641ull << 20, 64 << 20, 8), 11u);   // rounded up
  EXPECT_EQ(unit_count(1ull << 50, 1 << 20, 1, 100), 100u);  // capped
}

}  // namespace
}  // namespace tandem::backfill
