// logging.format: json — one JSON object per line for log shippers (Loki, Elasticsearch,
// CloudWatch...): time (UTC, RFC 3339 with µs), level, component, message, and the fields that
// matter when they are in the message: client (the peer), cluster (source or target), error
// code, write timestamp. The messages keep one shape ("component: ...", "client PEER: ...",
// "error N", "[timestamp N]"), which the extraction below reads; it is pure and table-tested
// (tests/unit/proxy/json_log_test.cpp).
#pragma once

#include <spdlog/formatter.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace tandem::proxy {

struct log_fields {
  std::string component;                 // "journal", "routing", "client", ...; "" when none
  std::string client;                    // the peer in "client PEER: ..."
  std::string cluster;                   // "source" or "target" when exactly one is named
  std::optional<std::int64_t> error_code;  // "error N" (a protocol error code, spec v4 §9)
  std::optional<std::int64_t> timestamp;   // "[timestamp N]": the write's timestamp, µs
};

log_fields extract_log_fields(std::string_view message);

// The whole line (without the newline): {"time":...,"level":...,...,"message":...}.
std::string json_log_line(std::string_view time_utc, std::string_view level, std::string_view message);

// An spdlog formatter writing json_log_line for each record; install with
// spdlog::set_formatter(make_json_log_formatter()).
std::unique_ptr<spdlog::formatter> make_json_log_formatter();

}  // namespace tandem::proxy
