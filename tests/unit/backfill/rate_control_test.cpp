// Adaptive concurrency and the ceilings (backfill/rate_control.hpp).
#include "backfill/rate_control.hpp"

#include <gtest/gtest.h>

namespace tandem::backfill {
namespace {

using namespace std::chrono_literals;

TEST(RateControl, GrowsByOnePerRoundTripUpToTheCeiling) {
  aimd_limit l(10, 4);
  for (int i = 0; i < 4; ++i) l.on_success(1ms);
  EXPECT_EQ(l.limit(), 5u);
  for (int i = 0; i < 1000; ++i) l.on_success(1ms);
  EXPECT_EQ(l.limit(), 10u);
}

TEST(RateControl, HalvesOnPushBackOncePerRoundTripAndBacksOff) {
  aimd_limit l(64, 32);
  l.on_pushback();
  EXPECT_EQ(l.limit(), 16u);
  EXPECT_EQ(l.backoff(), 100ms);
  l.on_pushback();  // the same burst: no second halving
  EXPECT_EQ(l.limit(), 16u);
  EXPECT_EQ(l.backoff(), 200ms);
  for (int i = 0; i < 20; ++i) l.on_success(1ms);
  EXPECT_EQ(l.backoff(), 0ms);
  l.on_pushback();
  EXPECT_EQ(l.limit(), 8u);
  for (int i = 0; i < 20; ++i) l.on_pushback();
  EXPECT_GE(l.limit(), 1u);
  EXPECT_EQ(l.backoff(), 10s);  // capped
}

TEST(RateControl, RisingLatencyCountsAsPushBack) {
  aimd_limit l(64, 16);
  for (int i = 0; i < 200; ++i) l.on_success(2ms);
  const auto before = l.limit();
  for (int i = 0; i < 200; ++i) l.on_success(50ms);
  EXPECT_LT(l.limit(), before);
  EXPECT_GE(l.decreases(), 1u);
}

TEST(RateControl, TokenBucketHoldsTheRate) {
  token_bucket b(100);  // 100 per second, 1 s of burst
  const auto t = std::chrono::steady_clock::now();
  EXPECT_EQ(b.take(100, t), 0us);
  EXPECT_EQ(b.take(50, t), 500ms);
  EXPECT_EQ(b.take(0, t + 1s), 0us);  // refilled
  token_bucket none(0);
  EXPECT_EQ(none.take(1e9, t), 0us);
}

}  // namespace
}  // namespace tandem::backfill
