// What the request handlers of a client session share (proxy/session_calls.cpp,
// handle_query.cpp, handle_execute.cpp, handle_batch.cpp): internal to the proxy.
#pragma once

#include "protocol/error.hpp"
#include "protocol/messages/error_message.hpp"

#include <cstdint>
#include <optional>

namespace tandem::proxy {

inline constexpr auto unprepared_code = static_cast<std::int32_t>(protocol::error_code::unprepared);

// The write timestamp a mirrored write carried: the proxy's pinned one, else the client's own
// (spec v4 §4.1.4 flag 0x20), else none (the server's clock).
inline std::optional<std::int64_t> timestamp_sent(
    bool pinned, std::int64_t pinned_ts, const protocol::result<std::optional<std::int64_t>>& client) {
  if (pinned) {
    return pinned_ts;
  }
  return client ? *client : std::nullopt;
}

}  // namespace tandem::proxy
