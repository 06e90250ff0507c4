#include "proxy/cli.hpp"

#include <string_view>
#include <vector>

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  return tandem::proxy::run_cli(args);
}
