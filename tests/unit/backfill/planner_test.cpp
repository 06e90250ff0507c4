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
  EXPECT_EQ(estimated_bytes({{100, 10, {}}, {50, 4, {}}, {-1, 5, {}}}), 1200u);
}

TEST(Planner, ScalesANodesEstimatesToTheWholeRing) {
  const auto thirds = split_ring(3);
  const auto quarters = split_ring(4);
  // One node of three lists the third of the ring it owns: its bytes are a third of the table.
  EXPECT_NEAR(static_cast<double>(estimated_bytes({{100, 10, thirds[1]}})), 3000.0, 1.0);
  // Two ranges, half of the ring between them.
  EXPECT_NEAR(static_cast<double>(estimated_bytes({{100, 10, quarters[0]}, {100, 10, quarters[3]}})),
              4000.0, 1.0);
  // The whole ring (a single node): unchanged.
  EXPECT_EQ(estimated_bytes({{100, 10, thirds[0]}, {100, 10, thirds[1]}, {100, 10, thirds[2]}}),
            3000u);
  // A range that wraps around the end of the ring counts its width across the end.
  const token_range wrap{quarters[3].start, quarters[0].end};
  EXPECT_NEAR(static_cast<double>(estimated_bytes({{100, 10, wrap}})), 2000.0, 1.0);
  // A row whose range could not be read: no scaling, rather than a guess.
  EXPECT_EQ(estimated_bytes({{100, 10, thirds[0]}, {100, 10, {}}}), 2000u);
}

TEST(Planner, CountsUnits) {
  EXPECT_EQ(unit_count(0, 64 << 20, 8), 8u);               // no estimate yet: the minimum
  EXPECT_EQ(unit_count(640ull << 20, 64 << 20, 8), 10u);   // 640 MiB in 64 MiB units
  EXPECT_EQ(unit_count(641ull << 20, 64 << 20, 8), 11u);   // rounded up
  EXPECT_EQ(unit_count(1ull << 50, 1 << 20, 1, 100), 100u);  // capped
}

}  // namespace
}  // namespace tandem::backfill
