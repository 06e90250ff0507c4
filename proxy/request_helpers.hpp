// What the request handlers of a client session share (proxy/session_calls.cpp,
// handle_query.cpp, handle_execute.cpp, handle_batch.cpp): internal to the proxy.
#pragma once

#include "client/cluster_connection.hpp"
#include "protocol/error.hpp"
#include "protocol/frame.hpp"
#include "protocol/messages/error_message.hpp"
#include "protocol/request_body.hpp"
#include "protocol/wire_reader.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace tandem::proxy {

// The code of an ERROR answer, read after its tracing id, warnings and custom payload (a traced
// request's ERROR starts with the tracing id: read from the body's start, an UNPREPARED was
// taken for another error and the driver re-prepared for ever through token-aware routing).
inline std::int32_t error_code_of(const protocol::owned_frame& f) {
  protocol::wire_reader r(protocol::response_message(f.header, f.body));
  auto code = r.read_int();
  return code ? *code : 0;
}

// The message of an ERROR answer, for logs and the errors the proxy builds from it.
inline std::string error_text(const protocol::owned_frame& f) {
  auto e = protocol::decode_error(protocol::response_message(f.header, f.body), f.header.version);
  return e ? e->message : std::string("unreadable error");
}

// `USE "ks"` on a connection the session opened after the client's own USE (another node, a
// replica): "" when done or `keyspace` is empty, else what failed (session_failover.cpp).
boost::asio::awaitable<std::string> use_keyspace(client::cluster_connection& conn,
                                                 const std::string& keyspace,
                                                 protocol::protocol_version v);

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
