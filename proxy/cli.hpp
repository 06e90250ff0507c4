// The `tandem` command line: one executable, one subcommand per job.
#pragma once

#include <span>
#include <string_view>

namespace tandem::proxy {

// Runs the subcommand named by args[0]; returns the process exit status.
int run_cli(std::span<const std::string_view> args);

}  // namespace tandem::proxy
