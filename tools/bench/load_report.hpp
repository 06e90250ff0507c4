// What the load generator measured, and how it is printed: a table for people and JSON for
// tools/bench/run. Pure: numbers in, text out.
#pragma once

#include "tools/bench/latency_histogram.hpp"

#include <cstdint>
#include <map>
#include <string>

namespace tandem::bench {

// Error "codes" of failures that are not an ERROR frame (those keep the spec's codes,
// spec v4 §9): answers lost with their connection, answers of an unexpected kind, requests
// still unanswered when the run's drain time ran out.
inline constexpr std::int32_t lost_with_connection = -1;
inline constexpr std::int32_t unexpected_answer = -2;
inline constexpr std::int32_t unanswered_at_end = -3;

std::string error_label(std::int32_t code);  // "Write_timeout (0x1100)", "connection lost", ...

struct load_counts {
  std::uint64_t reads = 0;   // answered without error
  std::uint64_t writes = 0;  // answered without error
  std::map<std::int32_t, std::uint64_t> errors;  // by code
  // Answers to requests sent during the warm-up: not measured, but work the server did (the
  // CPU a process spent over the whole run is divided by every request it served).
  std::uint64_t warmup_answers = 0;
  latency_histogram latency;  // nanoseconds, successful answers only

  std::uint64_t error_total() const noexcept;
  void merge(const load_counts& other);
};

struct load_summary {
  // What ran.
  std::string target;  // host:port
  int protocol_version = 4;
  bool lz4 = false;
  std::uint64_t connections = 0;
  std::uint64_t in_flight = 0;      // per connection
  double rate = 0;                  // requests/s asked for in total; 0 = as fast as possible
  double write_ratio = 1;
  std::uint64_t row_size = 0;
  // What happened.
  std::uint64_t connections_failed = 0;
  std::string first_failure;
  double seconds = 0;  // the measured window
  load_counts counts;

  std::uint64_t ops() const noexcept { return counts.reads + counts.writes; }
  // Every answer of the run, warm-up and errors included.
  std::uint64_t answers() const noexcept { return ops() + counts.error_total() + counts.warmup_answers; }
  double ops_per_second() const noexcept { return seconds > 0 ? static_cast<double>(ops()) / seconds : 0; }
};

std::string format_table(const load_summary& s);
std::string format_json(const load_summary& s);

}  // namespace tandem::bench
