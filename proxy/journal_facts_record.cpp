#include "proxy/journal_facts_record.hpp"

#include "client/own_connection.hpp"
#include "proxy/journal_status.hpp"
#include "proxy/t0_record.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace tandem::proxy {

namespace asio = boost::asio;

namespace {

// Writes the statements on one connection to one of the target's contact points: true when
// every one was taken.
asio::awaitable<bool> record_once(const std::shared_ptr<proxy_context>& ctx,
                                  const std::vector<std::string>& cqls) {
  const auto& target = ctx->cfg.target;
  auto ex = co_await asio::this_coro::executor;
  for (const auto& host : target.contact_points) {
    auto opened = co_await client::open_own_connection(ex, target, ctx->target_tls, "target", host);
    if (!opened.conn) {
      continue;
    }
    bool ok = true;
    for (const std::string& cql : cqls) {
      auto r = co_await client::run_statement(*opened.conn, cql, protocol::consistency::local_quorum);
      ok = ok && static_cast<bool>(r.result);
      if (!ok) break;
    }
    opened.conn->close("journal facts recorded");
    if (ok) co_return true;
  }
  co_return false;
}

}  // namespace

asio::awaitable<void> record_journal_facts(std::shared_ptr<proxy_context> ctx) {
  const auto& target = ctx->cfg.target;
  backfill::journal_facts recorded;
  bool tables_made = false;
  bool first = true;
  for (;;) {
    asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::seconds(2));
    co_await pause.async_wait(asio::use_awaitable);
    const auto now = live_journal_facts(*ctx);
    auto cqls = backfill::journal_facts_cql(target.state_keyspace, now, recorded);
    if (cqls.empty() && !first) {
      continue;
    }
    if (!tables_made) {
      cqls.insert(cqls.begin(), {state_keyspace_ddl(target), migration_state_ddl(target)});
    }
    if (co_await record_once(ctx, cqls)) {
      tables_made = true;
      first = false;
      recorded = now;
    }
  }
}

}  // namespace tandem::proxy
