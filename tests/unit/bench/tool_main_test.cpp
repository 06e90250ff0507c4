// What every bench tool's main() shares: --help answers without running the tool, a bad
// command line or a usage_error from the tool exits 2 with the tool's name, and otherwise the
// tool's own status comes back.
#include "tools/bench/tool_main.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tandem::bench {
namespace {

const tool_description tool{"tandem-test", "A tool under test.", {{"n", "1", "a number"}}};

// tool_main over `args`, argv[0] included.
int main_with(std::vector<std::string> args, const std::function<int(const command_line&)>& run) {
  std::vector<char*> argv;
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  return tool_main(tool, static_cast<int>(argv.size()), argv.data(), run);
}

TEST(ToolMain, ReturnsWhatTheToolReturns) {
  const auto n = [](const command_line& cl) { return static_cast<int>(cl.unsigned_number("n")); };
  EXPECT_EQ(main_with({"t", "--n", "7"}, n), 7);
}

TEST(ToolMain, AnswersHelpWithoutRunningTheTool) {
  bool ran = false;
  testing::internal::CaptureStdout();
  const int status = main_with({"t", "--help"}, [&](const command_line&) {
    ran = true;
    return 1;
  });
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_EQ(status, 0);
  EXPECT_FALSE(ran);
  EXPECT_NE(out.find("A tool under test."), std::string::npos);
  EXPECT_NE(out.find("--n"), std::string::npos);
}

TEST(ToolMain, ExitsTwoNamingTheToolOnAnUnknownOption) {
  testing::internal::CaptureStderr();
  const int status = main_with({"t", "--bogus"}, [](const command_line&) { return 0; });
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(status, 2);
  EXPECT_EQ(err.rfind("tandem-test: ", 0), 0u) << err;
}

TEST(ToolMain, ExitsTwoWhenTheToolThrowsAUsageError) {
  testing::internal::CaptureStderr();
  const int status = main_with({"t"}, [](const command_line&) -> int {
    throw usage_error("--n must be even");
  });
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "tandem-test: --n must be even\n");
  EXPECT_EQ(status, 2);
}

}  // namespace
}  // namespace tandem::bench
