// Metric types the admin port exports in the Prometheus text format (version 0.0.4): a latency
// histogram with fixed buckets and observation without a locked instruction, counters of failures per cluster and
// error, and a small writer for the text format. Pure apart from the atomics.
#pragma once

#include "proxy/per_thread_blocks.hpp"
#include "proxy/routing.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tandem::proxy {

// Durations in seconds (Prometheus base unit), from 250 µs to 10 s: a local write takes well
// under a millisecond, a managed service's a few, a timeout ends at the request timeout.
inline constexpr std::array<double, 15> latency_bounds = {
    0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1,     0.25,   0.5,   1.0,    2.5,   5.0,  10.0};

// Observed by every worker (three observations per mirrored write), read by the admin port: a
// block of buckets per thread (per_thread_blocks), so an observation is two plain stores.
class latency_histogram {
 public:
  void observe(std::chrono::nanoseconds d) noexcept;

  struct snapshot {
    std::array<std::uint64_t, latency_bounds.size() + 1> cumulative{};  // last: +Inf == count
    double sum_seconds = 0;
    std::uint64_t count = 0;
  };
  snapshot read() const noexcept;

 private:
  struct alignas(64) block {
    std::array<local_counter, latency_bounds.size() + 1> buckets;  // per bucket
    local_counter sum_ns;
  };
  per_thread_blocks<block> blocks_;
};

// Requests sent to each cluster by opcode (index: cluster, then the opcode's value), two per
// mirrored write: a block per thread, as latency_histogram.
class cluster_request_counts {
 public:
  static constexpr std::size_t opcodes = 17;
  using table = std::array<std::array<std::uint64_t, opcodes>, 2>;

  void count(std::size_t cluster_index, std::size_t opcode) noexcept {
    if (cluster_index < 2 && opcode < opcodes) {
      bump(blocks_.local().counts[cluster_index][opcode]);
    }
  }
  table read() const;

 private:
  struct alignas(64) block {
    std::array<std::array<local_counter, opcodes>, 2> counts;
  };
  per_thread_blocks<block> blocks_;
};

// The 99th percentile's upper bound in ms (the bound of the bucket it falls in; the last
// bound when it is past them), 0 for no observations.
double p99_upper_ms(const latency_histogram::snapshot& s);

// s - before, bucket by bucket: the observations made between two readings.
latency_histogram::snapshot since(const latency_histogram::snapshot& s,
                                  const latency_histogram::snapshot& before);

// Why a request to a cluster failed: a protocol ERROR's code (spec v4 §9), or a failure of the
// proxy's own (no answer in time, connection lost, too many in flight, a request it could not
// rewrite).
inline constexpr std::array<std::pair<std::int32_t, std::string_view>, 20> error_code_names = {{
    {0x0000, "server_error"},     {0x000A, "protocol_error"},  {0x0100, "bad_credentials"},
    {0x1000, "unavailable"},      {0x1001, "overloaded"},      {0x1002, "is_bootstrapping"},
    {0x1003, "truncate_error"},   {0x1100, "write_timeout"},   {0x1200, "read_timeout"},
    {0x1300, "read_failure"},     {0x1400, "function_failure"}, {0x1500, "write_failure"},
    {0x1600, "cdc_write_failure"}, {0x1700, "cas_write_unknown"}, {0x2000, "syntax_error"},
    {0x2100, "unauthorized"},     {0x2200, "invalid"},         {0x2300, "config_error"},
    {0x2400, "already_exists"},   {0x2500, "unprepared"},
}};
inline constexpr std::array<std::string_view, 5> local_failure_names = {
    "proxy_timeout", "connection_lost", "proxy_overloaded", "proxy_rewrite", "other_code"};

class error_counters {
 public:
  static constexpr std::size_t kinds = error_code_names.size() + local_failure_names.size();

  void count_code(cluster c, std::int32_t code) noexcept;
  // name: one of local_failure_names.
  void count_local(cluster c, std::string_view name) noexcept;

  // (cluster, error label, count) for every non-zero counter.
  struct entry {
    cluster c;
    std::string_view error;
    std::uint64_t count;
  };
  std::vector<entry> read() const;

 private:
  std::array<std::array<std::atomic<std::uint64_t>, kinds>, 2> counts_{};
};

// Builds a text exposition. Each family's HELP and TYPE is written once, before its samples;
// label values are escaped (\\, \", \n) as the format requires.
class prometheus_writer {
 public:
  using labels = std::vector<std::pair<std::string_view, std::string>>;

  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, const labels& l, double value);
  void sample(std::string_view name, const labels& l, std::uint64_t value);
  void histogram(std::string_view name, const labels& l, const latency_histogram::snapshot& s);

  const std::string& text() const noexcept { return out_; }

 private:
  void write_labels(const labels& l, std::string_view extra_name = {},
                    std::string_view extra_value = {});
  std::string out_;
};

// A double the way Prometheus reads it: shortest round-trip form, +Inf spelled "+Inf".
std::string prometheus_number(double v);

}  // namespace tandem::proxy
