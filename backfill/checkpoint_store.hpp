// The backfill's plan and progress, kept in the target's state keyspace (DESIGN.md
// "Checkpoints") so that a run resumes where the last one stopped and several workers share one
// plan. Table <state_keyspace>.backfill_units, one row per work unit:
//   state: pending -> running -> done; paging_state: where the copy stands (the source's paging
//   state after the last page whose writes all succeeded); owner and lease_until: the worker
//   holding the unit. Workers claim a unit with a lightweight transaction that succeeds only when
//   the unit is not done and its lease has expired; every checkpoint renews the lease under the
//   condition that the worker still owns it, so a worker that lost its unit stops copying it.
#pragma once

#include "client/cql_client.hpp"
#include "backfill/planner.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace tandem::backfill {

namespace asio = boost::asio;

struct unit_state {
  std::string keyspace;
  std::string table;
  std::int32_t unit = 0;
  token_range range;
  std::string state = "pending";
  std::optional<protocol::bytes> paging_state;
  std::int64_t rows_copied = 0;
  std::int64_t bytes_copied = 0;
  std::string owner;
  std::int64_t lease_until_ms = 0;
};

std::int64_t now_ms();

class checkpoint_store {
 public:
  checkpoint_store(std::shared_ptr<client::cql_client> target, std::string keyspace, std::string job,
                   std::string replication)
      : target_(std::move(target)),
        ks_(std::move(keyspace)),
        job_(std::move(job)),
        replication_(std::move(replication)) {}

  const std::string& job() const noexcept { return job_; }

  // Creates the state keyspace and tables if absent.
  asio::awaitable<client::outcome<client::done>> ensure_tables();

  // T0 as the proxy recorded it; without a proxy, `start_us` (the backfill's own start) is
  // recorded instead, under the same rule (only an earlier value replaces it).
  asio::awaitable<client::outcome<std::int64_t>> t0_or(std::int64_t start_us, std::string by);

  // The number of units of a table's plan: the first proposal written wins (a lightweight
  // transaction), so workers planning at the same moment with different size estimates still
  // share one plan. `table_id` is the source table's id: a plan made for a table since dropped
  // and recreated is refused (its units may be marked done for data that no longer exists).
  struct agreed_plan {
    std::int32_t units = 0;
    std::string table_id;
  };
  asio::awaitable<client::outcome<agreed_plan>> agree_plan(std::string keyspace, std::string table,
                                                   std::int32_t proposed_units,
                                                   std::string table_id);

  asio::awaitable<client::outcome<std::vector<unit_state>>> load(std::string keyspace, std::string table);
  // Writes the units (number, range) as pending unless they exist.
  asio::awaitable<client::outcome<client::done>> save_plan(std::string keyspace, std::string table,
                                           std::vector<std::pair<std::int32_t, token_range>> units);

  // True when `owner` now holds the unit until now + lease.
  asio::awaitable<client::outcome<bool>> claim(unit_state u, std::string owner,
                                       std::chrono::milliseconds lease);
  // Saves progress and renews the lease; false when the unit is no longer this owner's.
  asio::awaitable<client::outcome<bool>> checkpoint(unit_state u, std::string owner,
                                            std::chrono::milliseconds lease);
  asio::awaitable<client::outcome<bool>> finish(unit_state u, std::string owner);

 private:
  asio::awaitable<client::outcome<bool>> conditional(client::statement s);
  asio::awaitable<client::outcome<client::page>> conditional_rows(client::statement s);
  client::statement unit_update(const unit_state& u, std::string set,
                                std::vector<protocol::value> values, std::string when,
                                std::vector<protocol::value> when_values) const;

  std::shared_ptr<client::cql_client> target_;
  std::string ks_;
  std::string job_;
  std::string replication_;
};

}  // namespace tandem::backfill
