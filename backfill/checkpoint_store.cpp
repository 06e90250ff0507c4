#include "backfill/checkpoint_store.hpp"

#include "backfill/cell_values.hpp"
#include "backfill/table_model.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

namespace tandem::backfill {
namespace {

using protocol::value;

value text(const std::string& s) { return text_value(s); }
value big(std::int64_t v) { return long_value(v); }
value num(std::int32_t v) { return int_value(v); }
value blob(const std::optional<protocol::bytes>& b) { return blob_value(b); }

std::optional<std::size_t> index_of(const protocol::rows_result& r, const std::string& name) {
  for (std::size_t i = 0; i < r.metadata.columns.size(); ++i) {
    if (r.metadata.columns[i].name == name) return i;
  }
  return std::nullopt;
}

std::int64_t long_of(const std::optional<protocol::bytes>& c) { return read_long(c).value_or(0); }
std::int32_t int_of(const std::optional<protocol::bytes>& c) { return read_int(c).value_or(0); }

}  // namespace

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

asio::awaitable<client::outcome<client::done>> checkpoint_store::ensure_tables() {
  const std::array<std::string, 4> ddl = {
      "CREATE KEYSPACE IF NOT EXISTS " + quote(ks_) + " WITH replication = " + replication_,
      "CREATE TABLE IF NOT EXISTS " + quote(ks_) +
          ".migration_state (name text PRIMARY KEY, value bigint, updated_at timestamp, "
          "updated_by text)",
      "CREATE TABLE IF NOT EXISTS " + quote(ks_) +
          ".backfill_units (job text, keyspace_name text, table_name text, unit int, "
          "range_start bigint, range_end bigint, state text, paging_state blob, rows_copied "
          "bigint, bytes_copied bigint, owner text, lease_until timestamp, updated_at timestamp, "
          "PRIMARY KEY ((job), keyspace_name, table_name, unit)) WITH comment = 'Tandem "
          "backfill plan and checkpoints'",
      "CREATE TABLE IF NOT EXISTS " + quote(ks_) +
          ".backfill_plans (job text, keyspace_name text, table_name text, units int, table_id "
          "text, planned_at timestamp, PRIMARY KEY ((job), keyspace_name, table_name))"};
  std::vector<client::statement> statements;
  for (const auto& cql : ddl) {
    statements.push_back({cql, {}});
  }
  auto r = co_await client::run_all(*target_, std::move(statements), protocol::consistency::one);
  co_return r;
}

// A lightweight transaction on a busy or throttled target times out now and then (a Paxos round
// that got "received only 0 responses", an Overloaded answer): one such answer must not end a
// backfill that has copied for hours. Every conditional write here is safe to send again: the
// unit's updates are conditioned on the owner, so a retry of one that was applied after all is
// applied again; a retried claim that was applied answers "not applied" (the lease is already
// ours), which leaves the unit to the next sweep once the lease runs out.
asio::awaitable<client::outcome<bool>> checkpoint_store::conditional(client::statement s) {
  client::outcome<bool> out;
  auto r = co_await conditional_rows(std::move(s));
  if (r) {
    out.value = client::applied(r.value->rows);
  } else {
    client::failed(out, r);
  }
  co_return out;
}

// The same, answering the LWT's rows (agree_plan reads the plan that won). A retried IF NOT
// EXISTS that was applied after all answers "not applied" with the row it wrote: the same plan.
asio::awaitable<client::outcome<client::page>> checkpoint_store::conditional_rows(client::statement s) {
  constexpr int max_attempts = 6;
  for (int attempt = 1;; ++attempt) {
    auto r = co_await target_->execute(s, protocol::consistency::local_quorum);
    if (r || !r.error.is_retryable() || attempt >= max_attempts) {
      co_return r;
    }
    spdlog::warn("{}: a checkpoint write timed out on the target ({}); trying again (attempt {} of "
                 "{})", job_, r.error.message, attempt + 1, max_attempts);
    asio::steady_timer pause(co_await asio::this_coro::executor,
                             std::chrono::milliseconds(std::min(3000, 200 << (attempt - 1))));
    co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<client::outcome<std::int64_t>> checkpoint_store::t0_or(std::int64_t start_us,
                                                                std::string by) {
  client::outcome<std::int64_t> out;
  client::statement insert{"INSERT INTO " + quote(ks_) +
                       ".migration_state (name, value, updated_at, updated_by) VALUES ('t0', ?, "
                       "toTimestamp(now()), ?) IF NOT EXISTS",
                   {big(start_us), text(by)}};
  auto r = co_await target_->execute(std::move(insert), protocol::consistency::local_quorum);
  if (client::failed(out, r)) {
    co_return out;
  }
  const auto& rows = r.value->rows;
  auto v = index_of(rows, "value");
  if (client::applied(rows)) {
    out.value = start_us;  // no proxy recorded one: this backfill's start is T0
  } else if (v && !rows.rows.empty()) {
    out.value = long_of(rows.rows[0][*v]);
  } else {
    out.error.message = "reading T0: an unexpected answer";
  }
  co_return out;
}

asio::awaitable<client::outcome<checkpoint_store::agreed_plan>> checkpoint_store::agree_plan(
    std::string keyspace, std::string table, std::int32_t proposed_units, std::string table_id) {
  client::outcome<agreed_plan> out;
  client::statement s{"INSERT INTO " + quote(ks_) +
                  ".backfill_plans (job, keyspace_name, table_name, units, table_id, planned_at) "
                  "VALUES (?, ?, ?, ?, ?, toTimestamp(now())) IF NOT EXISTS",
              {text(job_), text(keyspace), text(table), num(proposed_units), text(table_id)}};
  auto r = co_await conditional_rows(std::move(s));
  if (client::failed(out, r)) {
    co_return out;
  }
  const auto& rows = r.value->rows;
  auto units = index_of(rows, "units");
  auto id = index_of(rows, "table_id");
  if (!index_of(rows, "[applied]") || rows.rows.empty()) {
    out.error.message = "planning: an unexpected answer";
    co_return out;
  }
  const auto& row = rows.rows[0];
  if (client::applied(rows)) {
    out.value = agreed_plan{proposed_units, table_id};
  } else {
    agreed_plan p;
    p.units = units ? int_of(row[*units]) : 0;
    if (id && row[*id]) {
      p.table_id.assign(reinterpret_cast<const char*>(row[*id]->data()), row[*id]->size());
    }
    out.value = p;
  }
  co_return out;
}

asio::awaitable<client::outcome<std::vector<unit_state>>> checkpoint_store::load(std::string keyspace,
                                                                        std::string table) {
  client::outcome<std::vector<unit_state>> out;
  std::vector<unit_state> units;
  std::optional<protocol::bytes> paging;
  do {
    client::statement s{"SELECT unit, range_start, range_end, state, paging_state, rows_copied, "
                "bytes_copied, owner, lease_until FROM " +
                    quote(ks_) + ".backfill_units WHERE job = ? AND keyspace_name = ? AND table_name = ?",
                {text(job_), text(keyspace), text(table)}};
    auto r = co_await target_->execute(std::move(s), protocol::consistency::local_quorum, 5000, paging);
    if (client::failed(out, r)) {
      co_return out;
    }
    paging = r.value->paging_state;
    const auto& rows = r.value->rows;
    for (const auto& row : rows.rows) {
      unit_state u;
      u.keyspace = keyspace;
      u.table = table;
      u.unit = int_of(row[0]);
      u.range = {long_of(row[1]), long_of(row[2])};
      u.state = row[3] ? std::string(reinterpret_cast<const char*>(row[3]->data()), row[3]->size()) : "pending";
      u.paging_state = row[4];
      u.rows_copied = long_of(row[5]);
      u.bytes_copied = long_of(row[6]);
      u.owner = row[7] ? std::string(reinterpret_cast<const char*>(row[7]->data()), row[7]->size()) : "";
      u.lease_until_ms = long_of(row[8]);
      units.push_back(std::move(u));
    }
  } while (paging);
  out.value = std::move(units);
  co_return out;
}

asio::awaitable<client::outcome<client::done>> checkpoint_store::save_plan(std::string keyspace, std::string table,
                                                           std::vector<std::pair<std::int32_t, token_range>> units) {
  client::outcome<client::done> out;
  for (const auto& [unit, range] : units) {
    // IF NOT EXISTS: workers planning at the same time agree on the first plan written.
    client::statement s{"INSERT INTO " + quote(ks_) +
                    ".backfill_units (job, keyspace_name, table_name, unit, range_start, "
                    "range_end, state, rows_copied, bytes_copied, lease_until, updated_at) VALUES "
                    "(?, ?, ?, ?, ?, ?, 'pending', 0, 0, 0, toTimestamp(now())) IF NOT EXISTS",
                {text(job_), text(keyspace), text(table), num(unit), big(range.start),
                 big(range.end)}};
    auto r = co_await conditional(std::move(s));
    if (client::failed(out, r)) {
      co_return out;
    }
  }
  out.value = client::done{};
  co_return out;
}

// The conditional UPDATE of one unit's row every lease holder writes: `set` (with its values
// first), the unit's key, then the condition (`when`, with its values last).
client::statement checkpoint_store::unit_update(const unit_state& u, std::string set,
                                                std::vector<protocol::value> values,
                                                std::string when,
                                                std::vector<protocol::value> when_values) const {
  client::statement s{"UPDATE " + quote(ks_) + ".backfill_units SET " + set +
                          ", updated_at = toTimestamp(now()) WHERE job = ? AND keyspace_name = ? "
                          "AND table_name = ? AND unit = ? IF " + when,
                      std::move(values)};
  for (auto v : {text(job_), text(u.keyspace), text(u.table), num(u.unit)}) {
    s.values.push_back(std::move(v));
  }
  for (auto& v : when_values) {
    s.values.push_back(std::move(v));
  }
  return s;
}

asio::awaitable<client::outcome<bool>> checkpoint_store::claim(unit_state u, std::string owner,
                                                       std::chrono::milliseconds lease) {
  const auto now = now_ms();
  auto s = unit_update(u, "owner = ?, lease_until = ?, state = 'running'",
                       {text(owner), big(now + lease.count())},
                       "state IN ('pending', 'running') AND lease_until < ?", {big(now)});
  auto r = co_await conditional(std::move(s));
  co_return r;
}

asio::awaitable<client::outcome<bool>> checkpoint_store::checkpoint(unit_state u, std::string owner,
                                                            std::chrono::milliseconds lease) {
  auto s = unit_update(u, "paging_state = ?, rows_copied = ?, bytes_copied = ?, lease_until = ?",
                       {blob(u.paging_state), big(u.rows_copied), big(u.bytes_copied),
                        big(now_ms() + lease.count())},
                       "owner = ?", {text(owner)});
  auto r = co_await conditional(std::move(s));
  co_return r;
}

asio::awaitable<client::outcome<bool>> checkpoint_store::finish(unit_state u, std::string owner) {
  auto s = unit_update(u, "state = 'done', paging_state = null, rows_copied = ?, bytes_copied = ?",
                       {big(u.rows_copied), big(u.bytes_copied)}, "owner = ?", {text(owner)});
  auto r = co_await conditional(std::move(s));
  co_return r;
}

}  // namespace tandem::backfill
