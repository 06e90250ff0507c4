// What every bench tool's main() does around its own work: read the command line against the
// tool's options, answer --help, and turn a usage_error into one line on stderr and exit
// status 2, apart from the 1 a tool returns when it ran and failed. One copy, so the three
// tools cannot drift apart in how they report a bad command line.
#pragma once

#include "tools/bench/command_line.hpp"

#include <functional>
#include <string_view>
#include <vector>

namespace tandem::bench {

struct tool_description {
  std::string_view name;     // the program name, which starts each of its messages
  std::string_view summary;  // the line --help prints under the name
  std::vector<option_spec> options;
};

// Parses argv[1..argc) against tool.options; prints the help text and returns 0 when --help is
// given, else returns what `run` returns. A usage_error, from parsing or thrown by `run` (a
// value that only `run` can check), prints "<name>: <what>" on stderr and returns 2.
int tool_main(const tool_description& tool, int argc, char** argv,
              const std::function<int(const command_line&)>& run);

}  // namespace tandem::bench
