#include "tools/bench/latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace tandem::bench {
namespace {

// Values below 2^(sub_bucket_bits + 1) = 256 get a bucket each; from there on each power of
// two 2^m .. 2^(m+1)-1 (m >= 8) is cut into 128 buckets of width 2^(m-7).
constexpr std::uint64_t exact_limit = std::uint64_t{1} << (latency_histogram::sub_bucket_bits + 1);
constexpr std::uint64_t sub_buckets = std::uint64_t{1} << latency_histogram::sub_bucket_bits;
static_assert(latency_histogram::bucket_count == exact_limit + (64 - 8) * sub_buckets);

}  // namespace

latency_histogram::latency_histogram() : counts_(bucket_count, 0) {}

std::size_t latency_histogram::bucket_of(std::uint64_t value) noexcept {
  if (value < exact_limit) {
    return static_cast<std::size_t>(value);
  }
  const int magnitude = 63 - std::countl_zero(value);  // 8..63
  const int shift = magnitude - sub_bucket_bits;
  const std::uint64_t top = value >> shift;  // 128..255
  return static_cast<std::size_t>(exact_limit +
                                  static_cast<std::uint64_t>(magnitude - 8) * sub_buckets +
                                  (top - sub_buckets));
}

std::uint64_t latency_histogram::bucket_lowest(std::size_t bucket) noexcept {
  if (bucket < exact_limit) {
    return bucket;
  }
  const std::uint64_t rest = bucket - exact_limit;
  const int magnitude = static_cast<int>(rest / sub_buckets) + 8;
  const std::uint64_t top = sub_buckets + rest % sub_buckets;
  return top << (magnitude - sub_bucket_bits);
}

std::uint64_t latency_histogram::bucket_highest(std::size_t bucket) noexcept {
  if (bucket < exact_limit) {
    return bucket;
  }
  const int magnitude = static_cast<int>((bucket - exact_limit) / sub_buckets) + 8;
  return bucket_lowest(bucket) + ((std::uint64_t{1} << (magnitude - sub_bucket_bits)) - 1);
}

void latency_histogram::record_n(std::uint64_t value, std::uint64_t n) noexcept {
  if (n == 0) {
    return;
  }
  counts_[bucket_of(value)] += n;
  min_ = count_ == 0 ? value : std::min(min_, value);
  max_ = std::max(max_, value);
  count_ += n;
  sum_ += static_cast<long double>(value) * static_cast<long double>(n);
}

void latency_histogram::merge(const latency_histogram& other) noexcept {
  if (other.count_ == 0) {
    return;
  }
  for (std::size_t i = 0; i < bucket_count; ++i) {
    counts_[i] += other.counts_[i];
  }
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

void latency_histogram::reset() noexcept {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  min_ = 0;
  max_ = 0;
  sum_ = 0;
}

double latency_histogram::mean() const noexcept {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_ / static_cast<long double>(count_));
}

std::uint64_t latency_histogram::value_at_percentile(double percentile) const noexcept {
  if (count_ == 0) {
    return 0;
  }
  if (percentile <= 0.0) {
    return min();
  }
  const double p = std::min(percentile, 100.0);
  // The rank of the value asked for, 1-based: p% of count rounded up, at least the first.
  // The small allowance keeps 99.9% of 1000 at rank 999: 99.9 / 100 is a hair above 0.999
  // in binary floating point.
  auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_) - 1e-9));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < bucket_count; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      return std::clamp(bucket_highest(i), min(), max_);
    }
  }
  return max_;
}

}  // namespace tandem::bench
