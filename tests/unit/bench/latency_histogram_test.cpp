// The load generator's latency histogram: exact below 256, within 1/128 above, percentiles
// by rank, merging, and the edges (empty, one value, the largest value).
#include "tools/bench/latency_histogram.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace tandem::bench {
namespace {

TEST(LatencyHistogram, IsEmptyAtFirst) {
  latency_histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.value_at_percentile(50), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

TEST(LatencyHistogram, KeepsSmallValuesExactly) {
  for (std::uint64_t v = 0; v < 256; ++v) {
    EXPECT_EQ(latency_histogram::bucket_of(v), v);
    EXPECT_EQ(latency_histogram::bucket_lowest(v), v);
    EXPECT_EQ(latency_histogram::bucket_highest(v), v);
  }
}

TEST(LatencyHistogram, BucketsCoverEveryValueWithoutGapsOrOverlap) {
  for (std::size_t b = 1; b < latency_histogram::bucket_count; ++b) {
    ASSERT_EQ(latency_histogram::bucket_lowest(b), latency_histogram::bucket_highest(b - 1) + 1)
        << "bucket " << b;
  }
  EXPECT_EQ(latency_histogram::bucket_highest(latency_histogram::bucket_count - 1),
            std::numeric_limits<std::uint64_t>::max());
}

TEST(LatencyHistogram, PutsEachValueInTheBucketThatHoldsIt) {
  const std::uint64_t values[] = {256, 257, 1000, 65'535, 1'000'000, 123'456'789,
                                  (std::uint64_t{1} << 40) + 12345,
                                  std::numeric_limits<std::uint64_t>::max()};
  for (const std::uint64_t v : values) {
    const auto b = latency_histogram::bucket_of(v);
    ASSERT_LT(b, latency_histogram::bucket_count);
    EXPECT_LE(latency_histogram::bucket_lowest(b), v);
    EXPECT_GE(latency_histogram::bucket_highest(b), v);
  }
}

TEST(LatencyHistogram, BucketWidthStaysUnderOneHundredTwentyEighthOfTheValue) {
  for (std::size_t b = 256; b < latency_histogram::bucket_count; b += 37) {
    const double low = static_cast<double>(latency_histogram::bucket_lowest(b));
    const double high = static_cast<double>(latency_histogram::bucket_highest(b));
    EXPECT_LE((high - low) / low, 1.0 / 128.0) << "bucket " << b;
  }
}

TEST(LatencyHistogram, AnswersPercentilesOfAUniformSpreadWithinTheResolution) {
  latency_histogram h;
  for (std::uint64_t v = 1; v <= 100'000; ++v) {
    h.record(v * 1000);  // 1 us .. 100 ms in nanoseconds
  }
  EXPECT_EQ(h.count(), 100'000u);
  EXPECT_EQ(h.min(), 1000u);
  EXPECT_EQ(h.max(), 100'000'000u);
  for (double p : {50.0, 90.0, 99.0, 99.9}) {
    const double expected = p / 100.0 * 100'000'000.0;
    const double got = static_cast<double>(h.value_at_percentile(p));
    EXPECT_GE(got, expected) << "p" << p;
    EXPECT_LE(got, expected * (1.0 + 1.0 / 128.0)) << "p" << p;
  }
  EXPECT_EQ(h.value_at_percentile(100), h.max());
  EXPECT_EQ(h.value_at_percentile(0), h.min());
  EXPECT_NEAR(h.mean(), 50'000'500.0, 1.0);
}

TEST(LatencyHistogram, NeverReportsMoreThanTheLargestValueRecorded) {
  latency_histogram h;
  h.record(1'000'001);  // its bucket reaches above it
  EXPECT_EQ(h.value_at_percentile(50), 1'000'001u);
  EXPECT_EQ(h.value_at_percentile(99.9), 1'000'001u);
}

TEST(LatencyHistogram, SeesARareSlowAnswerOnlyInTheHighPercentiles) {
  latency_histogram h;
  h.record_n(100, 999);
  h.record(50'000);
  EXPECT_EQ(h.value_at_percentile(50), 100u);
  EXPECT_EQ(h.value_at_percentile(99.9), 100u);  // rank 999 of 1000
  EXPECT_GE(h.value_at_percentile(99.95), 50'000u);
  EXPECT_EQ(h.max(), 50'000u);
}

TEST(LatencyHistogram, MergesAsIfEveryValueHadBeenRecordedInOne) {
  latency_histogram a;
  latency_histogram b;
  latency_histogram both;
  for (std::uint64_t v = 0; v < 5000; ++v) {
    (v % 3 == 0 ? a : b).record(v * 7919);
    both.record(v * 7919);
  }
  latency_histogram merged;
  merged.merge(a);
  merged.merge(b);
  EXPECT_EQ(merged.count(), both.count());
  EXPECT_EQ(merged.min(), both.min());
  EXPECT_EQ(merged.max(), both.max());
  for (double p : {1.0, 50.0, 99.0, 99.99}) {
    EXPECT_EQ(merged.value_at_percentile(p), both.value_at_percentile(p));
  }
}

TEST(LatencyHistogram, MergingAnEmptyHistogramChangesNothing) {
  latency_histogram a;
  a.record(500);
  a.merge(latency_histogram{});
  EXPECT_EQ(a.count(), 1u);
  EXPECT_EQ(a.min(), 500u);
}

TEST(LatencyHistogram, ForgetsEverythingOnReset) {
  latency_histogram h;
  h.record(42);
  h.reset();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.value_at_percentile(50), 0u);
}

}  // namespace
}  // namespace tandem::bench
