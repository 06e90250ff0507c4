// Validation rounds and results, kept in the target's state keyspace next to the backfill's
// plans (issue 6). A round is one validation of the chosen tables under `validate.job`: its
// units live in backfill_units under the job name "validate:<job>:<round>", so rounds are
// resumed and shared between workers exactly like backfill jobs. A finished table's totals go
// to validation_results, which the cutover gate reads: one row per table, the latest finished
// round's.
#pragma once

#include "client/cql_client.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace tandem::backfill {

namespace asio = boost::asio;

struct validation_round {
  std::int32_t round = 0;
  std::int64_t started_us = 0;
  double sample = 1.0;
  std::int64_t seed = 0;
  bool resumed = false;  // an unfinished round this run continues
};

struct table_validation {
  std::string keyspace;
  std::string table;
  std::int32_t round = 0;
  std::int64_t started_us = 0;
  std::int64_t finished_us = 0;
  double sample = 1.0;
  std::int64_t rows_compared = 0;
  std::int64_t unresolved = 0;
  std::int64_t repaired = 0;
};

class validation_store {
 public:
  validation_store(std::shared_ptr<client::cql_client> target, std::string keyspace, std::string job)
      : target_(std::move(target)), ks_(std::move(keyspace)), job_(std::move(job)) {}

  // The state keyspace itself is created by checkpoint_store::ensure_tables.
  asio::awaitable<client::outcome<client::done>> ensure_tables();

  // The latest round when it is unfinished and was started with the same sample (resumed), or
  // a new one. Workers starting together agree through a lightweight transaction.
  asio::awaitable<client::outcome<validation_round>> begin_round(double sample, std::int64_t seed,
                                                         bool force_new);
  asio::awaitable<client::outcome<client::done>> finish_round(std::int32_t round);
  std::string unit_job(std::int32_t round) const;

  asio::awaitable<client::outcome<client::done>> save_result(table_validation r);
  asio::awaitable<client::outcome<std::vector<table_validation>>> results();

 private:
  std::shared_ptr<client::cql_client> target_;
  std::string ks_;
  std::string job_;
};

// The time of the latest failed target write the proxies recorded (migration_state row
// 'last_target_write_failure', microseconds; proxy/t0_record.hpp writes it), 0 when none.
asio::awaitable<client::outcome<std::int64_t>> last_target_write_failure(client::cql_client& target,
                                                                 std::string state_keyspace);
}  // namespace tandem::backfill
