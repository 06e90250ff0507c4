// A throttling target's "wait this long" hint, in the forms managed services write it.
#include "client/retry_hint.hpp"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

namespace tandem::client {
namespace {

TEST(RetryHint, ReadsTheFormsManagedServicesWrite) {
  using ms = std::chrono::milliseconds;
  struct hint_case {
    std::string_view message;
    std::optional<ms> hint;
  };
  const std::vector<hint_case> cases{
      {"Request rate is large: ActivityID=4e2b, RetryAfterMs=500, Additional details='x'", ms(500)},
      {"request rate is large, retryafterms: 1200", ms(1200)},
      {"Throttled; retry after 2 s", ms(2000)},
      {"Throttled; Retry after 250 ms", ms(250)},
      {"Retry-After: 3", ms(3000)},
      {"Overloaded: too many requests (native_transport_max_requests_per_second)", std::nullopt},
      {"retry after soon", std::nullopt},
      {"", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(retry_after_hint(c.message), c.hint) << c.message;
  }
}

}  // namespace
}  // namespace tandem::client
