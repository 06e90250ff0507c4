#include "proxy/t0_record.hpp"

#include "protocol/wire_reader.hpp"
#include "client/own_connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <array>

namespace tandem::proxy {
namespace {

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(d);
  co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

// One attempt on an open connection: returns the stored T0, or what failed.
asio::awaitable<std::pair<std::int64_t, std::string>> write_t0(client::cluster_connection& conn,
                                                               const client::target_settings& t,
                                                               std::int64_t proposal,
                                                               std::string by) {
  const std::array<std::string, 2> ddls{state_keyspace_ddl(t), migration_state_ddl(t)};
  for (const std::string& ddl : ddls) {
    auto r = co_await client::run_statement(conn, ddl, protocol::consistency::one);
    if (!r.result) {
      co_return std::pair{std::int64_t{0}, "creating the state table: " + r.error};
    }
  }
  // Insert when absent; when present and later than ours, lower it. A racing proposal can
  // make the UPDATE not apply: read the answer again, a few times.
  std::string cql = insert_t0_cql(t, proposal, by);
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto r = co_await client::run_statement(conn, cql, protocol::consistency::local_quorum);
    if (!r.result || !std::holds_alternative<protocol::rows_result>(*r.result)) {
      co_return std::pair{std::int64_t{0}, "writing T0: " + (r.error.empty() ? "no rows" : r.error)};
    }
    auto outcome = read_conditional(std::get<protocol::rows_result>(*r.result));
    if (!outcome) {
      co_return std::pair{std::int64_t{0}, std::string("writing T0: an unreadable [applied] answer")};
    }
    if (outcome->applied) {
      co_return std::pair{proposal, std::string()};
    }
    if (outcome->existing && *outcome->existing <= proposal) {
      co_return std::pair{*outcome->existing, std::string()};
    }
    cql = lower_t0_cql(t, proposal, by);
  }
  co_return std::pair{std::int64_t{0}, std::string("writing T0: kept losing to other writers")};
}

}  // namespace

std::string state_keyspace_ddl(const client::target_settings& t) {
  return "CREATE KEYSPACE IF NOT EXISTS " + t.state_keyspace +
         " WITH replication = " + t.state_replication;
}

std::string migration_state_ddl(const client::target_settings& t) {
  return "CREATE TABLE IF NOT EXISTS " + t.state_keyspace +
         ".migration_state (name text PRIMARY KEY, value bigint, updated_at timestamp, "
         "updated_by text) WITH comment = 'Tandem migration state; t0 = first mirrored write, "
         "microseconds'";
}

std::string insert_t0_cql(const client::target_settings& t, std::int64_t proposal, const std::string& by) {
  return "INSERT INTO " + t.state_keyspace +
         ".migration_state (name, value, updated_at, updated_by) VALUES ('t0', " +
         std::to_string(proposal) + ", toTimestamp(now()), " + client::cql_string_literal(by) + ") IF NOT EXISTS";
}

std::string lower_t0_cql(const client::target_settings& t, std::int64_t proposal, const std::string& by) {
  return "UPDATE " + t.state_keyspace + ".migration_state SET value = " +
         std::to_string(proposal) + ", updated_at = toTimestamp(now()), updated_by = " +
         client::cql_string_literal(by) + " WHERE name = 't0' IF value > " + std::to_string(proposal);
}

std::optional<conditional_outcome> read_conditional(const protocol::rows_result& rows) {
  auto applied = client::first_row_cell(rows, "[applied]");
  if (!applied || applied->size() != 1) {
    return std::nullopt;
  }
  conditional_outcome out;
  out.applied = applied->front() != std::byte{0};
  if (auto value = client::first_row_cell(rows, "value"); value && value->size() == 8) {
    protocol::wire_reader r{protocol::bytes_view(*value)};
    auto v = r.read_long();
    if (v) {
      out.existing = *v;
    }
  }
  return out;
}

asio::awaitable<void> record_t0(std::shared_ptr<proxy_context> ctx, std::string recorded_by) {
  const auto& target = ctx->cfg.target;
  auto ex = co_await asio::this_coro::executor;
  std::int64_t recorded = 0;
  for (;;) {
    // Wait for the first mirrored write, then for one with an earlier timestamp than stored.
    while (ctx->t0.load() == 0 || (recorded != 0 && ctx->t0.load() >= recorded)) {
      co_await sleep_for(std::chrono::milliseconds(recorded == 0 ? 50 : 2000));
    }
    const std::int64_t proposal = ctx->t0.load();
    for (int attempt = 1;; ++attempt) {
      std::string error;
      std::int64_t stored = 0;
      for (const auto& host : target.contact_points) {
        auto opened = co_await client::open_own_connection(ex, target, ctx->target_tls, "target", host);
        if (!opened.conn) {
          error = opened.error;
          continue;
        }
        auto [value, err] = co_await write_t0(*opened.conn, target, proposal, recorded_by);
        opened.conn->close("T0 recorded");
        if (err.empty()) {
          stored = value;
          break;
        }
        error = err;
      }
      if (stored != 0) {
        recorded = stored;
        ctx->t0_recorded.store(stored);
        spdlog::info("T0 {} recorded in {}.migration_state on the target{}", stored,
                     target.state_keyspace,
                     stored == proposal ? "" : " (an earlier proxy's; this one's was " +
                                                   std::to_string(proposal) + ")");
        break;
      }
      if (attempt == 1 || attempt % 12 == 0) {
        spdlog::warn("T0 {} not yet recorded on the target ({}); retrying every 5 s", proposal,
                     error);
      }
      co_await sleep_for(std::chrono::seconds(5));
    }
  }
}

std::string record_failure_cql(const client::target_settings& t, std::int64_t at_us, const std::string& by) {
  // USING TIMESTAMP the failure's own time: whichever proxy writes last, the newest stays.
  return "UPDATE " + t.state_keyspace + ".migration_state USING TIMESTAMP " +
         std::to_string(at_us) + " SET value = " + std::to_string(at_us) +
         ", updated_at = toTimestamp(now()), updated_by = " + client::cql_string_literal(by) +
         " WHERE name = 'last_target_write_failure'";
}

asio::awaitable<bool> run_on_target(const proxy_context& ctx, const std::vector<std::string>& cqls,
                                    const char* why) {
  const auto& target = ctx.cfg.target;
  auto ex = co_await asio::this_coro::executor;
  for (const auto& host : target.contact_points) {
    auto opened = co_await client::open_own_connection(ex, target, ctx.target_tls, "target", host);
    if (!opened.conn) {
      continue;
    }
    bool ok = true;
    for (const std::string& cql : cqls) {
      auto r = co_await client::run_statement(*opened.conn, cql, protocol::consistency::local_quorum);
      ok = static_cast<bool>(r.result);
      if (!ok) break;
    }
    opened.conn->close(why);
    if (ok) co_return true;
  }
  co_return false;
}

asio::awaitable<void> record_target_failures(std::shared_ptr<proxy_context> ctx,
                                             std::string recorded_by) {
  const auto& target = ctx->cfg.target;
  std::int64_t recorded = 0;
  for (;;) {
    co_await sleep_for(std::chrono::seconds(2));
    const std::int64_t latest = ctx->last_target_write_failure_us.load();
    if (latest <= recorded) {
      continue;
    }
    // The target may be the thing that is failing: try again every 2 s until it takes it.
    // (A named vector: no temporaries inside a co_await with GCC 12.)
    const std::vector<std::string> cqls{state_keyspace_ddl(target), migration_state_ddl(target),
                                        record_failure_cql(target, latest, recorded_by)};
    if (co_await run_on_target(*ctx, cqls, "failure recorded")) {
      recorded = latest;
      spdlog::info("the latest failed target write ({} µs) is recorded for the cutover gate", latest);
    }
  }
}

}  // namespace tandem::proxy
