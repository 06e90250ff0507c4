// Where the stub backend and the relay listen: a numeric address, v4 or bracketed v6, and a
// host name refused with a message naming the option (the tools resolve no names).
#include "tools/bench/command_line.hpp"
#include "tools/bench/listener.hpp"

#include <gtest/gtest.h>

namespace tandem::bench {
namespace {

TEST(EndpointOf, ReadsNumericV4AndBracketedV6Addresses) {
  const auto v4 = endpoint_of("127.0.0.1:9042", "--listen");
  EXPECT_EQ(v4.address().to_string(), "127.0.0.1");
  EXPECT_EQ(v4.port(), 9042);
  const auto v6 = endpoint_of("[::1]:19042", "--listen");
  EXPECT_TRUE(v6.address().is_v6());
  EXPECT_EQ(v6.port(), 19042);
}

TEST(EndpointOf, RefusesAHostNameNamingTheOption) {
  try {
    endpoint_of("localhost:9042", "--to");
    FAIL() << "a host name was accepted";
  } catch (const usage_error& e) {
    EXPECT_STREQ(e.what(), "--to: 'localhost' is not an IP address");
  }
}

}  // namespace
}  // namespace tandem::bench
