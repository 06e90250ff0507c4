#include "proxy/health_monitor.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace tandem::proxy {

asio::awaitable<void> monitor_cluster(std::shared_ptr<proxy_context> ctx, cluster c) {
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer timer(ex);
  std::shared_ptr<client::cluster_connection> conn;
  bool was_up = false;
  std::string last_reason;
  for (;;) {
    std::string reason;
    if (!conn || !conn->is_open()) {
      auto s = ctx->connection_settings(c, protocol::protocol_version::v4);
      s.connect_timeout = std::min<std::chrono::milliseconds>(s.connect_timeout, health_check_interval);
      s.request_timeout = health_check_interval;
      s.max_in_flight = 4;
      s.heartbeat_interval = std::chrono::hours(24);  // this loop is the heartbeat
      conn = std::make_shared<client::cluster_connection>(ex, s);
      reason = co_await conn->connect();
    }
    if (reason.empty()) {
      auto r = co_await conn->call(protocol::opcode::options, {});
      if (!r.ok()) {
        reason = r.detail;
      } else if (r.frame.header.op != protocol::opcode::supported) {
        reason = "answered OPTIONS with something other than SUPPORTED";
      }
    }
    const bool up = reason.empty();
    if (!up) {
      if (conn) {
        conn->close("health check failed");
      }
      ctx->set_unreachable_reason(c, reason);
    }
    ctx->reachable[static_cast<std::size_t>(c)].store(up);
    if (up != was_up || (!up && reason != last_reason)) {
      if (up) {
        spdlog::info("{} reachable", cluster_name(c));
      } else {
        spdlog::warn("{} unreachable: {}", cluster_name(c), reason);
      }
    }
    was_up = up;
    last_reason = reason;
    timer.expires_after(health_check_interval);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

}  // namespace tandem::proxy
