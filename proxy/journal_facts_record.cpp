#include "proxy/journal_facts_record.hpp"

#include "proxy/journal_status.hpp"
#include "proxy/t0_record.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace tandem::proxy {

namespace asio = boost::asio;

asio::awaitable<void> record_journal_facts(std::shared_ptr<proxy_context> ctx) {
  const auto& target = ctx->cfg.target;
  backfill::journal_facts recorded;
  // Until the first write is taken: the tables may not exist yet, and even facts equal to the
  // empty ones are written, so a restarted proxy's rows of its last run are brought up to date.
  bool first = true;
  for (;;) {
    asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::seconds(2));
    co_await pause.async_wait(asio::use_awaitable);
    const auto now = live_journal_facts(*ctx);
    auto cqls = backfill::journal_facts_cql(target.state_keyspace, now, recorded);
    if (cqls.empty() && !first) {
      continue;
    }
    if (first) {
      cqls.insert(cqls.begin(), {state_keyspace_ddl(target), migration_state_ddl(target)});
    }
    if (co_await run_on_target(*ctx, cqls, "journal facts recorded")) {
      first = false;
      recorded = now;
    }
  }
}

}  // namespace tandem::proxy
