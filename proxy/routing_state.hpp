// The run-time routing choice (which cluster is the primary, DESIGN.md "cutover") kept in
// routing.state_file so that it survives a restart. The file is one line, `primary=<cluster>`,
// written to a temporary file, flushed and renamed over the old one, so a crash or a full disk
// never leaves a half-written choice behind.
#pragma once

#include "proxy/routing.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace tandem::proxy {

struct routing_file_read {
  std::optional<cluster> primary;  // nullopt: no file (first start)
  std::string error;               // non-empty: the file exists but cannot be used
};

// Parses the file's text: "primary=source" or "primary=target" (a trailing newline allowed).
std::optional<cluster> parse_routing_state(std::string_view text);
std::string format_routing_state(cluster primary);

routing_file_read read_routing_file(const std::string& path);

// Writes atomically; returns "" or what failed (with the path and the system's reason).
std::string write_routing_file(const std::string& path, cluster primary);

}  // namespace tandem::proxy
