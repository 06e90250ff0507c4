// The bench tools' command lines: defaults, values, flags, and the errors that name the option.
#include "tools/bench/command_line.hpp"

#include <gtest/gtest.h>

namespace tandem::bench {
namespace {

std::vector<option_spec> specs() {
  return {{"connections", "4", "connections"},
          {"duration", "10s", "run time"},
          {"rate", "0", "rate"},
          {"json", "", "json output", true}};
}

TEST(CommandLine, GivesDefaultsForOptionsNotGiven) {
  const command_line cl(specs(), {});
  EXPECT_EQ(cl.unsigned_number("connections"), 4u);
  EXPECT_EQ(cl.duration("duration"), std::chrono::seconds(10));
  EXPECT_FALSE(cl.flag("json"));
}

TEST(CommandLine, ReadsValuesAfterTheNameOrAfterAnEqualsSign) {
  const command_line cl(specs(), {"--connections", "100", "--rate=2500.5", "--json"});
  EXPECT_EQ(cl.unsigned_number("connections"), 100u);
  EXPECT_DOUBLE_EQ(cl.number("rate"), 2500.5);
  EXPECT_TRUE(cl.flag("json"));
}

TEST(CommandLine, RefusesUnknownOptionsAndMissingValues) {
  EXPECT_THROW(command_line(specs(), {"--conections", "3"}), usage_error);
  EXPECT_THROW(command_line(specs(), {"--connections"}), usage_error);
  EXPECT_THROW(command_line(specs(), {"--json=yes"}), usage_error);
  EXPECT_THROW(command_line(specs(), {"stray"}), usage_error);
}

TEST(CommandLine, NamesTheOptionWhoseValueDoesNotParse) {
  const command_line cl(specs(), {"--connections", "many"});
  try {
    (void)cl.unsigned_number("connections");
    FAIL() << "no error";
  } catch (const usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("--connections"), std::string::npos);
  }
}

TEST(CommandLine, ReadsDurationsWithTheirUnits) {
  EXPECT_EQ(parse_duration("250ms", "d"), std::chrono::milliseconds(250));
  EXPECT_EQ(parse_duration("3s", "d"), std::chrono::seconds(3));
  EXPECT_EQ(parse_duration("2m", "d"), std::chrono::minutes(2));
  EXPECT_EQ(parse_duration("1.5", "d"), std::chrono::milliseconds(1500));
  EXPECT_EQ(parse_duration("0", "d"), std::chrono::nanoseconds(0));
  EXPECT_THROW(parse_duration("soon", "d"), usage_error);
  EXPECT_THROW(parse_duration("-1s", "d"), usage_error);
}

TEST(CommandLine, SplitsHostAndPort) {
  EXPECT_EQ(parse_host_port("127.0.0.4:9042", "t"), std::make_pair(std::string("127.0.0.4"), std::uint16_t{9042}));
  EXPECT_EQ(parse_host_port("[::1]:19042", "t"), std::make_pair(std::string("::1"), std::uint16_t{19042}));
  EXPECT_THROW(parse_host_port("127.0.0.4", "t"), usage_error);
  EXPECT_THROW(parse_host_port("127.0.0.4:0", "t"), usage_error);
  EXPECT_THROW(parse_host_port("127.0.0.4:70000", "t"), usage_error);
}

}  // namespace
}  // namespace tandem::bench
