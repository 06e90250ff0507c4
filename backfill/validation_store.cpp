#include "backfill/validation_store.hpp"

#include "backfill/cell_values.hpp"
#include "backfill/table_model.hpp"

#include <array>

namespace tandem::backfill {
namespace {

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

asio::awaitable<client::outcome<client::done>> validation_store::ensure_tables() {
  const std::array<std::string, 2> ddl = {
      "CREATE TABLE IF NOT EXISTS " + quote(ks_) +
          ".validation_rounds (job text, round int, started_at bigint, sample double, seed "
          "bigint, finished_at bigint, PRIMARY KEY ((job), round)) WITH CLUSTERING ORDER BY "
          "(round DESC) AND comment = 'Tandem validation rounds (times in microseconds)'",
      "CREATE TABLE IF NOT EXISTS " + quote(ks_) +
          ".validation_results (job text, keyspace_name text, table_name text, round int, "
          "started_at bigint, finished_at bigint, sample double, rows_compared bigint, "
          "unresolved bigint, repaired bigint, PRIMARY KEY ((job), keyspace_name, table_name)) "
          "WITH comment = 'Tandem: the latest finished validation of each table'"};
  std::vector<client::statement> statements;
  for (const auto& cql : ddl) {
    statements.push_back({cql, {}});
  }
  auto r = co_await client::run_all(*target_, std::move(statements), protocol::consistency::one);
  co_return r;
}

std::string validation_store::unit_job(std::int32_t round) const {
  return "validate:" + job_ + ":" + std::to_string(round);
}

asio::awaitable<client::outcome<validation_round>> validation_store::begin_round(double sample,
                                                                        std::int64_t seed,
                                                                        bool force_new) {
  client::outcome<validation_round> out;
  for (int attempt = 0; attempt < 5; ++attempt) {
    client::statement latest{"SELECT round, started_at, sample, seed, finished_at FROM " + quote(ks_) +
                         ".validation_rounds WHERE job = ? LIMIT 1",
                     {text_value(job_)}};
    auto r = co_await target_->execute(std::move(latest), protocol::consistency::local_quorum);
    if (client::failed(out, r)) {
      co_return out;
    }
    std::int32_t next = 1;
    if (!r.value->rows.rows.empty()) {
      const auto& row = r.value->rows.rows[0];
      validation_round last;
      last.round = read_int(row[0]).value_or(0);
      last.started_us = read_long(row[1]).value_or(0);
      last.sample = read_double(row[2]).value_or(1.0);
      last.seed = read_long(row[3]).value_or(0);
      if (!row[4] && !force_new && last.sample == sample) {
        last.resumed = true;
        out.value = last;
        co_return out;
      }
      next = last.round + 1;
    }
    validation_round fresh{next, now_us(), sample, seed, false};
    client::statement insert{"INSERT INTO " + quote(ks_) +
                         ".validation_rounds (job, round, started_at, sample, seed) VALUES (?, ?, "
                         "?, ?, ?) IF NOT EXISTS",
                     {text_value(job_), int_value(next), long_value(fresh.started_us),
                      double_value(sample), long_value(seed)}};
    auto ins = co_await target_->execute(std::move(insert), protocol::consistency::local_quorum);
    if (client::failed(out, ins)) {
      co_return out;
    }
    if (client::applied(ins.value->rows)) {
      out.value = fresh;
      co_return out;
    }
    force_new = false;  // another worker began this round just now: join it
  }
  out.error.message = "could not agree on a validation round";
  co_return out;
}

asio::awaitable<client::outcome<client::done>> validation_store::finish_round(std::int32_t round) {
  client::outcome<client::done> out;
  client::statement s{"UPDATE " + quote(ks_) + ".validation_rounds SET finished_at = ? WHERE job = ? AND round = ?",
              {long_value(now_us()), text_value(job_), int_value(round)}};
  auto r = co_await target_->execute(std::move(s), protocol::consistency::local_quorum);
  if (client::failed(out, r)) {
    co_return out;
  }
  out.value = client::done{};
  co_return out;
}

asio::awaitable<client::outcome<client::done>> validation_store::save_result(table_validation v) {
  client::outcome<client::done> out;
  client::statement s{"INSERT INTO " + quote(ks_) +
                  ".validation_results (job, keyspace_name, table_name, round, started_at, "
                  "finished_at, sample, rows_compared, unresolved, repaired) VALUES (?, ?, ?, ?, "
                  "?, ?, ?, ?, ?, ?)",
              {text_value(job_), text_value(v.keyspace), text_value(v.table), int_value(v.round),
               long_value(v.started_us), long_value(v.finished_us), double_value(v.sample),
               long_value(v.rows_compared), long_value(v.unresolved), long_value(v.repaired)}};
  auto r = co_await target_->execute(std::move(s), protocol::consistency::local_quorum);
  if (client::failed(out, r)) {
    co_return out;
  }
  out.value = client::done{};
  co_return out;
}

asio::awaitable<client::outcome<std::vector<table_validation>>> validation_store::results() {
  client::outcome<std::vector<table_validation>> out;
  client::statement s{"SELECT keyspace_name, table_name, round, started_at, finished_at, sample, "
              "rows_compared, unresolved, repaired FROM " +
                  quote(ks_) + ".validation_results WHERE job = ?",
              {text_value(job_)}};
  auto r = co_await target_->execute(std::move(s), protocol::consistency::local_quorum);
  if (client::failed(out, r)) {
    co_return out;
  }
  std::vector<table_validation> list;
  for (const auto& row : r.value->rows.rows) {
    table_validation v;
    v.keyspace = read_text(row[0]);
    v.table = read_text(row[1]);
    v.round = read_int(row[2]).value_or(0);
    v.started_us = read_long(row[3]).value_or(0);
    v.finished_us = read_long(row[4]).value_or(0);
    v.sample = read_double(row[5]).value_or(1.0);
    v.rows_compared = read_long(row[6]).value_or(0);
    v.unresolved = read_long(row[7]).value_or(0);
    v.repaired = read_long(row[8]).value_or(0);
    list.push_back(std::move(v));
  }
  out.value = std::move(list);
  co_return out;
}

asio::awaitable<client::outcome<std::int64_t>> last_target_write_failure(client::cql_client& target,
                                                                 std::string state_keyspace) {
  client::outcome<std::int64_t> out;
  client::statement s{"SELECT value FROM " + quote(state_keyspace) +
                  ".migration_state WHERE name = 'last_target_write_failure'",
              {}};
  auto r = co_await target.execute(std::move(s), protocol::consistency::local_quorum);
  if (client::failed(out, r)) {
    co_return out;
  }
  out.value = r.value->rows.rows.empty() ? 0 : read_long(r.value->rows.rows[0][0]).value_or(0);
  co_return out;
}

}  // namespace tandem::backfill
