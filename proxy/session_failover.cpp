// What a client session does when a node of a cluster fails (issue 15): connections go to the
// next node in rotation that is not marked down (node_rotation.hpp); a lost source connection
// is opened again on another live node with the client's session (its STARTUP, credentials,
// USE keyspace, REGISTER) replayed, so the client stays connected. Requests that were in flight
// on the lost connection have been answered with an error the driver may retry; prepared
// statements the new node does not know come back UNPREPARED and the driver prepares them
// again (spec v4 §8.2, error 0x2500). A lost target connection is opened again on the next
// request (at most every two seconds); meanwhile mirrored writes fail over to the journal.
#include "proxy/client_session.hpp"
#include "proxy/request_helpers.hpp"

#include "protocol/messages/query.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace tandem::proxy {

using protocol::opcode;

asio::awaitable<std::string> use_keyspace(client::cluster_connection& conn,
                                          const std::string& keyspace,
                                          protocol::protocol_version v) {
  if (keyspace.empty()) {
    co_return std::string{};
  }
  protocol::query_message use;
  use.query = "USE \"" + keyspace + "\"";
  protocol::bytes body = protocol::encode_query(use, v);
  auto r = co_await conn.call(opcode::query, std::move(body));
  if (!r.ok()) {
    co_return r.detail;
  }
  if (r.frame.header.op != opcode::result) {
    co_return "USE " + keyspace + " failed: " + error_text(r.frame);
  }
  co_return std::string{};
}

// One connection to cluster c: each node in rotation at most once, the first that accepts.
asio::awaitable<std::string> client_session::connect_node(
    cluster c, std::shared_ptr<client::cluster_connection>& out) {
  const std::size_t nodes = std::max<std::size_t>(1, ctx_->nodes(c).size());
  std::string why;
  for (std::size_t i = 0; i < nodes; ++i) {
    auto settings = ctx_->connection_settings(c, version_);
    const client::cluster_endpoint node = settings.endpoint;
    auto conn = std::make_shared<client::cluster_connection>(stream_.get_executor(),
                                                             std::move(settings));
    auto err = co_await conn->connect();
    if (err.empty()) {
      ctx_->mark_node(c, node, true);
      out = std::move(conn);
      co_return std::string{};
    }
    ctx_->mark_node(c, node, false);
    why = err;
  }
  co_return why;
}

void client_session::watch_source() {
  std::weak_ptr<client_session> weak = shared_from_this();
  std::weak_ptr<client::cluster_connection> watched = source_;
  source_->on_closed([weak, watched](const std::string& why) {
    auto self = weak.lock();
    if (self && watched.lock() == self->source_) {
      self->source_lost(why);
    }
  });
}

void client_session::source_lost(const std::string& why) {
  if (phase_ == phase::closing) {
    return;
  }
  if (phase_ != phase::ready) {
    close("source connection lost during the handshake: " + why);
    return;
  }
  const auto node = source_->settings().endpoint;
  ctx_->mark_node(cluster::source, node, false);
  bump(ctx_->stats.local().source_failovers);
  spdlog::warn("client {}: source connection to {}:{} lost ({}); opening one to another node",
               peer_, node.host, node.port, why);
  asio::co_spawn(
      stream_.get_executor(),
      [self = shared_from_this()]() -> asio::awaitable<void> { co_await self->reconnect_source(); },
      asio::detached);
}

// Opens the source connection again on a live node and gives it the client's session; requests
// that arrive meanwhile wait for it. The client is disconnected only when no node will do.
asio::awaitable<bool> client_session::reconnect_source() {
  auto self = shared_from_this();
  if (source_reconnecting_) {
    asio::steady_timer wait(stream_.get_executor());
    while (source_reconnecting_ && phase_ == phase::ready) {
      wait.expires_after(std::chrono::milliseconds(10));
      co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    co_return source_ && source_->is_open();
  }
  if (phase_ != phase::ready) {
    co_return false;
  }
  if (source_ && source_->is_open()) {
    co_return true;
  }
  source_reconnecting_ = true;
  std::string why = "no node to try";
  std::shared_ptr<client::cluster_connection> fresh;
  const std::size_t nodes = std::max<std::size_t>(1, ctx_->nodes(cluster::source).size());
  for (std::size_t i = 0; i < nodes && phase_ == phase::ready && !fresh; ++i) {
    std::shared_ptr<client::cluster_connection> conn;
    if (auto err = co_await connect_node(cluster::source, conn); !err.empty()) {
      why = err;  // connect_node tried every node already
      break;
    }
    if (auto err = co_await resume_source_session(*conn); !err.empty()) {
      why = err;
      ctx_->mark_node(cluster::source, conn->settings().endpoint, false);
      conn->close(err);
      continue;
    }
    fresh = std::move(conn);
  }
  source_reconnecting_ = false;
  if (phase_ != phase::ready) {
    if (fresh) fresh->close("client closed");
    co_return false;
  }
  if (!fresh) {
    close("the source is unreachable on every node: " + why);
    co_return false;
  }
  source_ = std::move(fresh);
  watch_source();
  co_await resubscribe_events(cluster::source);
  spdlog::info("client {}: source connection re-established on {}", peer_,
               source_->settings().endpoint.host);
  co_return true;
}

// The client's STARTUP and credentials replayed on a new source connection, then its keyspace.
asio::awaitable<std::string> client_session::resume_source_session(client::cluster_connection& conn) {
  protocol::bytes startup = source_startup_body_;
  auto answer = co_await conn.call(opcode::startup, std::move(startup));
  if (!answer.ok()) {
    co_return answer.detail;
  }
  const auto op = answer.frame.header.op;
  if (op != opcode::ready && op != opcode::authenticate) {
    co_return "the node refused the client's STARTUP: " + error_text(answer.frame);
  }
  conn.begin_framing(protocol::compression_algorithm::none);
  if (op == opcode::authenticate) {
    bool success = false;
    for (const auto& token : source_auth_bodies_) {
      protocol::bytes body = token;
      auto a = co_await conn.call(opcode::auth_response, std::move(body));
      if (!a.ok()) {
        co_return a.detail;
      }
      if (a.frame.header.op == opcode::auth_success) {
        success = true;
        break;
      }
      if (a.frame.header.op != opcode::auth_challenge) {
        co_return "the node refused the client's credentials: " + error_text(a.frame);
      }
    }
    if (!success) {
      co_return std::string("the node asks for credentials the client's session did not give");
    }
  }
  co_return co_await use_keyspace(conn, keyspace_, version_);
}

// The client's REGISTER sent again on cluster c's new connection, when c sends its events.
asio::awaitable<void> client_session::resubscribe_events(cluster c) {
  auto conn = connection(c);
  if (!register_body_ || ctx_->routing().primary != c || !conn) {
    co_return;
  }
  listen_for_events(c);
  protocol::bytes body = *register_body_;
  auto r = co_await conn->call(opcode::register_, std::move(body));
  if (!r.ok() || r.frame.header.op != opcode::ready) {
    spdlog::warn("client {}: REGISTER on the new {} connection failed: {}", peer_, cluster_name(c),
                 r.ok() ? error_text(r.frame) : r.detail);
  }
}

// A lost target connection is opened again (at most every two seconds) without dropping the
// client: the client's session state (its USE keyspace, its REGISTER) is restored on it.
asio::awaitable<bool> client_session::reconnect_target() {
  const auto now = std::chrono::steady_clock::now();
  if (target_reconnecting_ || now < next_target_attempt_ || phase_ == phase::closing) {
    co_return false;
  }
  auto self = shared_from_this();
  target_reconnecting_ = true;
  next_target_attempt_ = now + std::chrono::seconds(2);
  auto err = co_await open_target();
  bool ok = err.empty() && !target_auth_pending_;
  if (ok) {
    err = co_await use_keyspace(*target_, keyspace_, version_);
    ok = err.empty();
  }
  target_reconnecting_ = false;
  if (ok) {
    co_await resubscribe_events(cluster::target);
    spdlog::info("client {}: target connection re-established on {}", peer_,
                 target_->settings().endpoint.host);
  } else {
    spdlog::warn("client {}: target still unavailable: {}", peer_, err);
  }
  co_return ok;
}

}  // namespace tandem::proxy
