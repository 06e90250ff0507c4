// The journal's replayer (issue 14): sends the records waiting in the journal to the cluster
// that missed them, oldest first, over connections of its own (protocol v4, the configured
// credentials), so live clients never wait behind it. Each record is re-encoded for v4 with its
// statements prepared again from their text. Replay is idempotent because the proxy pinned the
// write's timestamp; records that are not (counters, LWTs) are marked instead of sent.
//
// Concurrency adapts as the backfill's does: it halves on Overloaded, timeouts and lost
// connections, grows by one after as many successes as it allows, and a failure backs off
// exponentially (100 ms .. 5 s) before the next attempt. A record the cluster refuses for good
// (Invalid, SyntaxError, Unauthorized, ...) goes to the dead letters.
#pragma once

#include "proxy/proxy_context.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>

namespace tandem::proxy {

// What a replay attempt's answer means for its record.
enum class replay_verdict : std::uint8_t { done, retry, reprepare, dead_letter };

// The verdict for an answer: `code` the ERROR's code, or std::nullopt for a RESULT; a call
// that got no answer at all is `retry`.
replay_verdict judge_replay(std::optional<std::int32_t> code) noexcept;

// Runs until the proxy stops (ctx->journal must be set).
boost::asio::awaitable<void> replay_journal(std::shared_ptr<proxy_context> ctx);

}  // namespace tandem::proxy
