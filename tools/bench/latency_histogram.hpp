// A log-bucketed latency histogram in the manner of HdrHistogram: every power of two is split
// into 128 equal sub-buckets, so any recorded value is known to within 1/128 (< 0.8 %) of
// itself, values below 256 exactly, with a fixed 7,424 counters whatever the range (0 .. 2^64).
// Recording is an index computation and an increment: cheap enough for every request of a
// load generator. Pure: no clocks, no I/O; values are whatever unit the caller picks (the
// tools record nanoseconds).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tandem::bench {

class latency_histogram {
 public:
  // Sub-buckets per power of two: 2^sub_bucket_bits.
  static constexpr int sub_bucket_bits = 7;
  static constexpr std::size_t bucket_count = 7424;

  latency_histogram();

  void record(std::uint64_t value) noexcept { record_n(value, 1); }
  void record_n(std::uint64_t value, std::uint64_t n) noexcept;
  // Adds every count of `other` (histograms of several connections or threads).
  void merge(const latency_histogram& other) noexcept;
  void reset() noexcept;

  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t min() const noexcept { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const noexcept { return max_; }
  double mean() const noexcept;

  // The value below or at which `percentile` percent (0..100) of the recorded values lie:
  // the highest value of the bucket that holds that rank, never above max() nor below min().
  // 0 for an empty histogram. percentile 100 gives max(), 0 gives min().
  std::uint64_t value_at_percentile(double percentile) const noexcept;

  // The bucket a value falls in, and the lowest and highest value that bucket holds.
  static std::size_t bucket_of(std::uint64_t value) noexcept;
  static std::uint64_t bucket_lowest(std::size_t bucket) noexcept;
  static std::uint64_t bucket_highest(std::size_t bucket) noexcept;

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t min_ = 0;
  std::uint64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace tandem::bench
