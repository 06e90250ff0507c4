// The `tandem` command line: one executable, one subcommand per job.
#pragma once

#include "proxy/proxy_settings.hpp"

#include <span>
#include <string_view>

namespace tandem::proxy {

// logging.level and logging.format for the whole process (every subcommand that reads the
// configuration: the proxy, and through main.cpp's loader backfill, schema, validate, cutover).
void apply_logging(const logging_settings& l);

// Runs the subcommand named by args[0]; returns the process exit status.
int run_cli(std::span<const std::string_view> args);

}  // namespace tandem::proxy
