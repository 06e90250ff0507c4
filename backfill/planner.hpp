// Splitting a table's token space into work units (DESIGN.md "Planning"). Murmur3Partitioner
// tokens are the signed 64-bit integers; a unit is the range (start, end], and the units of a
// table cover (-2^63, 2^63-1] exactly once (Murmur3 never yields -2^63). How many units: the
// table's estimated size (system.size_estimates: mean partition size x partitions, summed over
// the node's ranges, scaled up to the whole ring when the node lists only its own share of it,
// as every node of a multi-node ring does) divided by the configured unit size, and at least
// `min_units` so that several workers have something to share.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace tandem::backfill {

struct token_range {
  std::int64_t start = 0;  // exclusive
  std::int64_t end = 0;    // inclusive

  friend bool operator==(const token_range&, const token_range&) = default;
};

struct size_estimate {
  std::int64_t mean_partition_size = 0;
  std::int64_t partitions_count = 0;
  std::optional<token_range> range;  // the token range the row estimates, when it could be read
};

// The table's bytes over the whole ring: the estimates' sum divided by the share of the ring
// their ranges cover (system.size_estimates on one node of a ring lists only that node's
// primary ranges, so a third of the ring on each node of three).
std::uint64_t estimated_bytes(const std::vector<size_estimate>& estimates);

// The number of units for `bytes` of data: ceil(bytes / unit_size), within [min_units, max_units].
std::uint32_t unit_count(std::uint64_t bytes, std::uint64_t unit_size, std::uint32_t min_units,
                         std::uint32_t max_units = 65536);

// n contiguous ranges of (almost) equal width covering (-2^63, 2^63-1].
std::vector<token_range> split_ring(std::uint32_t n);

// The share of the token space a range covers, in [0, 1].
double ring_share(const token_range& r);

}  // namespace tandem::backfill
