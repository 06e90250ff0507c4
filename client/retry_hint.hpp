// How long a throttling target asks to be left alone, read from its Overloaded message. Shared
// by the proxy's journal replay and the backfill's writes. Pure.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace tandem::client {

// A managed target's hint of how long to wait before sending again, from its error message:
// "RetryAfterMs=500" (Azure Cosmos DB's Cassandra API), "retry after 2 s", "Retry-After: 3"
// (seconds, as HTTP's header). Case-insensitive; std::nullopt when the message has none.
std::optional<std::chrono::milliseconds> retry_after_hint(std::string_view message) noexcept;

}  // namespace tandem::client
