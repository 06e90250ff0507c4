// What the backfill and the validation share: choosing the tables (present on both clusters with
// the same columns), planning each into token-range units persisted in the target's state
// keyspace (one agreed plan per job and table, DESIGN.md "Planning"), and sweeping the units
// with `workers` concurrent unit workers that claim units with leases, so that several processes
// share one plan and a dead worker's units are taken over once its lease lapses.
#pragma once

#include "backfill/checkpoint_store.hpp"
#include "backfill/job.hpp"
#include "backfill/table_model.hpp"
#include "backfill/settings.hpp"
#include "client/token_map.hpp"

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace tandem::backfill {

namespace asio = boost::asio;

struct table_work {
  table_def table;
  std::vector<unit_state> units;
};

struct unit_result {
  bool done = false;        // the unit is finished and marked done
  bool lost_lease = false;  // another worker took the unit over
  std::string error;        // why it stopped otherwise
};

// Marks `u` done for `owner`: done, lost (another worker owns it now), or the store's error.
asio::awaitable<unit_result> finish_unit(checkpoint_store& store, unit_state u, std::string owner);

// The work of one worker on its own pair of connections: one unit at a time.
class unit_worker {
 public:
  virtual ~unit_worker() = default;
  // `source`: the connection to read the unit from, one to a replica of its range when the
  // source's ring is known (client/replica_clients.hpp), the worker's own connection otherwise.
  virtual asio::awaitable<unit_result> run(const table_def& t, unit_state u,
                                           std::shared_ptr<client::cql_client> source) = 0;
};

using worker_factory = std::function<std::unique_ptr<unit_worker>(
    std::shared_ptr<client::cql_client> source, std::shared_ptr<client::cql_client> target)>;

// How a table is split and which units of the split are worked on.
struct plan_rule {
  std::uint32_t min_units = 8;
  // Units of the split that belong to the plan (all when empty): the validation's --sample.
  std::function<bool(const table_def& t, std::uint32_t unit, std::uint32_t units)> chosen;
};

struct unit_run {
  const migration_settings& cfg;
  job_progress& progress;
  std::string owner;
  std::shared_ptr<asio::ssl::context> source_tls;
  std::shared_ptr<asio::ssl::context> target_tls;
  std::vector<table_work> work;
  std::vector<std::string> failures;
  const std::atomic<bool>* paused = nullptr;
  std::size_t next = 0;  // next (table, unit) to try, flattened
  bool finished = false;
  // The copy's workers ask the target for THROW_ON_OVERLOAD (client::cql_client::open): their
  // writes pace on the Overloaded answers. Validation keeps the default (a throttled node
  // delays its reads and repairs instead of refusing them).
  bool workers_throw_on_overload = false;
  // The source's ring and nodes (client/cluster_probe.hpp), probed by sweep_units: each unit is
  // read from a replica of its range (issue 15). Null ring: read through any node.
  std::shared_ptr<const client::token_map> source_ring{};
  std::vector<client::cluster_endpoint> source_nodes{};
  // Units read through a replica of their range, and through another node (progress summary).
  std::uint64_t units_on_replica = 0;
  std::uint64_t units_elsewhere = 0;
};

std::string default_worker_id();
asio::awaitable<void> sleep_ms(long ms);

// The tables named (ks.t) or, when none is named, every table of `keyspaces` (every non-system
// keyspace when that is empty too); each must exist on both clusters with the same columns,
// otherwise a failure names it and nothing is planned.
asio::awaitable<void> select_tables(unit_run& run, client::cql_client& source, client::cql_client& target,
                                    std::set<std::string> keyspaces,
                                    std::vector<std::string> tables);

struct cluster_pair {
  std::shared_ptr<client::cql_client> source;
  std::shared_ptr<client::cql_client> target;
};

// Connects to both clusters and selects the tables: `tables` (ks.t) and `keyspaces` from the
// command line, or backfill.tables / backfill.keyspaces when those are empty. std::nullopt when a
// cluster is unreachable (a failure says which); table problems are failures too.
asio::awaitable<std::optional<cluster_pair>> open_and_select(unit_run& run,
                                                             std::vector<std::string> keyspaces,
                                                             std::vector<std::string> tables);

// Plans every table of run.work under `store`'s job (agreeing with other workers) and loads the
// units' states.
asio::awaitable<void> plan_tables(unit_run& run, client::cql_client& source, checkpoint_store& store,
                                  plan_rule rule);

// Reads the source's ring (run.source_ring), then runs `workers` workers until every unit is
// done (waiting for units other processes hold) or a failure stops the run.
asio::awaitable<void> sweep_units(unit_run& run, checkpoint_store& store, unsigned workers,
                                  worker_factory factory);

// The share of the planned token space that is done, tables weighted equally.
double share_done(const std::vector<table_work>& work);
double share_done(const table_work& work);  // of one table's token ranges

}  // namespace tandem::backfill
