#include "tools/bench/tool_main.hpp"

#include <iostream>
#include <string>

namespace tandem::bench {

int tool_main(const tool_description& tool, int argc, char** argv,
              const std::function<int(const command_line&)>& run) {
  try {
    const command_line cl(tool.options, std::vector<std::string>(argv + 1, argv + argc));
    if (cl.help_requested()) {
      std::cout << cl.help_text(tool.name, tool.summary);
      return 0;
    }
    return run(cl);
  } catch (const usage_error& e) {
    std::cerr << tool.name << ": " << e.what() << "\n";
    return 2;
  }
}

}  // namespace tandem::bench
