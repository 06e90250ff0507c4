#include "backfill/unit_runner.hpp"

#include "backfill/cell_values.hpp"
#include "backfill/schema.hpp"
#include "client/cluster_probe.hpp"
#include "client/replica_clients.hpp"
#include "client/token_map.hpp"
#include "client/wake_signal.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <unistd.h>

namespace tandem::backfill {
namespace {

using asio::as_tuple;
using asio::use_awaitable;

std::vector<std::string> hosts_of(const client::cluster_settings& c) { return c.contact_points; }

// Worker i starts at contact point i (round the list), so the workers' coordinators are spread
// over the nodes listed instead of all on the first; the rest of the list is where a worker
// goes on when its node is lost (cql_client::reopen).
std::vector<std::string> hosts_from(const client::cluster_settings& c, int index) {
  auto hosts = c.contact_points;
  if (!hosts.empty() && index > 0) {
    std::rotate(hosts.begin(), hosts.begin() + static_cast<std::ptrdiff_t>(index % hosts.size()),
                hosts.end());
  }
  return hosts;
}

// One worker: claims units one after another until none is left to claim.
asio::awaitable<void> worker(unit_run& run, checkpoint_store& store, worker_factory& factory,
                             int index) {
  auto ex = co_await asio::this_coro::executor;
  auto source = co_await client::cql_client::open(ex, run.cfg.source, run.source_tls, "source",
                                                  hosts_from(run.cfg.source, index));
  auto target = co_await client::cql_client::open(ex, run.cfg.target, run.target_tls, "target",
                                                  hosts_from(run.cfg.target, index),
                                                  run.workers_throw_on_overload);
  if (!source || !target) {
    run.failures.push_back("worker " + std::to_string(index) + ": " +
                           (!source ? source.error.message : target.error.message));
    co_return;
  }
  auto unit_worker = factory(*source.value, *target.value);
  client::replica_clients replicas(
      {ex, run.cfg.source, run.source_tls, "source", run.source_ring, run.source_nodes,
       static_cast<std::size_t>(index)},
      *source.value);
  for (;;) {
    while (run.paused != nullptr && run.paused->load()) {
      co_await sleep_ms(200);
    }
    // The next unit not done, in plan order.
    table_work* tw = nullptr;
    unit_state* unit = nullptr;
    std::size_t flat = 0;
    for (auto& w : run.work) {
      for (auto& u : w.units) {
        if (flat++ < run.next || u.state == "done") continue;
        tw = &w;
        unit = &u;
        break;
      }
      if (unit) break;
    }
    if (!unit || !run.failures.empty()) {
      break;
    }
    run.next = flat;
    auto claimed = co_await store.claim(*unit, run.owner, run.cfg.backfill.lease);
    if (!claimed || !*claimed.value) {
      continue;  // another worker holds it (or the store is unreachable: the sweep retries)
    }
    unit_state copy_of = *unit;
    // The range (start, end] lies within the ranges the replicas of `end` own when the plan
    // follows the ring (units split a node's ranges); a unit that spans more is still read
    // whole, its coordinator asking the other replicas for the rest.
    auto read_from = co_await replicas.for_token(tw->table.keyspace, unit->range.end);
    auto result = co_await unit_worker->run(tw->table, copy_of, std::move(read_from));
    if (result.done) {
      unit->state = "done";
      run.progress.units_done += 1;
    } else if (!result.error.empty()) {
      run.failures.push_back(result.error);
      spdlog::error("{}: {}", store.job(), result.error);
    } else if (result.lost_lease) {
      spdlog::warn("{}: {}.{} unit {} was taken over by another worker", store.job(),
                   tw->table.keyspace, tw->table.name, unit->unit);
    }
  }
  unit_worker.reset();
  run.units_on_replica += replicas.on_replica();
  run.units_elsewhere += replicas.elsewhere();
  const std::uint64_t reopened[] = {source.value->get()->reopened() + replicas.reopened(),
                                    target.value->get()->reopened()};
  if (!replicas.unreachable().empty()) {
    std::string nodes;
    for (const auto& host : replicas.unreachable()) {
      nodes += (nodes.empty() ? "" : ", ") + host;
    }
    spdlog::warn("{}: worker {} could not reach source node(s) {} and read their ranges from "
                 "other replicas", store.job(), index, nodes);
  }
  replicas.close();
  for (int side = 0; side < 2; ++side) {
    if (reopened[side] > 0) {
      spdlog::warn("{}: worker {} lost its {} connection and went on with another node ({} "
                   "time{})", store.job(), index, side == 0 ? "source" : "target",
                   reopened[side], reopened[side] == 1 ? "" : "s");
    }
  }
  source.value->get()->close();
  target.value->get()->close();
}

asio::awaitable<std::vector<size_estimate>> size_estimates(client::cql_client& source,
                                                           const table_def& t) {
  // Each node lists only its own primary ranges (range_start/range_end are tokens as text):
  // estimated_bytes scales them up to the whole ring.
  client::statement est{"SELECT mean_partition_size, partitions_count, range_start, range_end "
                        "FROM system.size_estimates WHERE keyspace_name = ? AND table_name = ?",
                        {text_value(t.keyspace), text_value(t.name)}};
  auto rows = co_await source.execute(std::move(est), protocol::consistency::one);
  std::vector<size_estimate> estimates;
  if (rows) {
    for (const auto& r : rows.value->rows.rows) {
      size_estimate e;
      if (r.size() == 4) {
        e.mean_partition_size = read_long(r[0]).value_or(0);
        e.partitions_count = read_long(r[1]).value_or(0);
        const auto start = client::murmur3_token_of_text(read_text(r[2]));
        const auto end = client::murmur3_token_of_text(read_text(r[3]));
        if (start && end) {
          e.range = token_range{*start, *end};
        }
      }
      estimates.push_back(e);
    }
  }
  co_return estimates;
}

asio::awaitable<std::string> table_id_of(client::cql_client& source, const table_def& t) {
  client::statement q{"SELECT id FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?",
              {text_value(t.keyspace), text_value(t.name)}};
  auto rows = co_await source.execute(std::move(q), protocol::consistency::one);
  if (rows && !rows.value->rows.rows.empty() && rows.value->rows.rows[0][0]) {
    co_return hex_of(*rows.value->rows.rows[0][0]);
  }
  co_return std::string();
}

}  // namespace

std::string default_worker_id() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return std::string(host) + "-" + std::to_string(::getpid());
}

asio::awaitable<void> sleep_ms(long ms) {
  asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(ms));
  co_await t.async_wait(as_tuple(use_awaitable));
}

asio::awaitable<unit_result> finish_unit(checkpoint_store& store, unit_state u, std::string owner) {
  unit_result out;
  auto finished = co_await store.finish(std::move(u), std::move(owner));
  if (!finished) {
    out.error = "marking the unit done: " + finished.error.message;
  } else if (!*finished.value) {
    out.lost_lease = true;
  } else {
    out.done = true;
  }
  co_return out;
}

double share_done(const table_work& w) {
  double done = 0;
  double planned = 0;
  for (const auto& u : w.units) {
    planned += ring_share(u.range);
    if (u.state == "done") done += ring_share(u.range);
  }
  return planned > 0 ? done / planned : 1.0;
}

double share_done(const std::vector<table_work>& work) {
  if (work.empty()) return 1.0;
  double total = 0;
  for (const auto& w : work) {
    total += share_done(w);
  }
  return total / static_cast<double>(work.size());
}

asio::awaitable<void> select_tables(unit_run& run, client::cql_client& source, client::cql_client& target,
                                    std::set<std::string> keyspaces,
                                    std::vector<std::string> tables) {
  for (const auto& t : tables) {
    keyspaces.insert(t.substr(0, t.find('.')));
  }
  const auto& state_ks = run.cfg.target.state_keyspace;
  auto src_schema = co_await read_schema(source, keyspaces, state_ks);
  auto dst_schema = co_await read_schema(target, keyspaces, state_ks);
  if (!src_schema || !dst_schema) {
    run.failures.push_back("reading the schema: " +
                           (!src_schema ? src_schema.error.message : dst_schema.error.message));
    co_return;
  }
  for (const auto& [key, t] : src_schema.value->tables) {
    const std::string name = key.first + "." + key.second;
    if (!tables.empty() && std::find(tables.begin(), tables.end(), name) == tables.end()) {
      continue;
    }
    const auto it = dst_schema.value->tables.find(key);
    if (it == dst_schema.value->tables.end()) {
      run.failures.push_back("table " + name +
                             " does not exist on the target (run `tandem schema apply`)");
      continue;
    }
    for (const auto& c : t.columns) {
      const auto tc = std::find_if(it->second.columns.begin(), it->second.columns.end(),
                                   [&](const column_def& x) { return x.name == c.name; });
      if (tc == it->second.columns.end() || tc->type != c.type || tc->kind != c.kind) {
        run.failures.push_back("table " + name + ": column " + c.name + " (" + c.type +
                               ") differs on the target");
        break;
      }
    }
    run.work.push_back(table_work{t, {}});
  }
  for (const auto& t : tables) {
    const auto dot = t.find('.');
    if (!src_schema.value->tables.count({t.substr(0, dot), t.substr(dot + 1)})) {
      run.failures.push_back("table " + t + " does not exist on the source");
    }
  }
}

asio::awaitable<std::optional<cluster_pair>> open_and_select(unit_run& run,
                                                             std::vector<std::string> keyspaces,
                                                             std::vector<std::string> tables) {
  auto ex = co_await asio::this_coro::executor;
  const auto& cfg = run.cfg;
  auto source = co_await client::cql_client::open(ex, cfg.source, run.source_tls, "source", hosts_of(cfg.source));
  if (!source) {
    run.failures.push_back("the source is unreachable: " + source.error.message);
    co_return std::nullopt;
  }
  auto target = co_await client::cql_client::open(ex, cfg.target, run.target_tls, "target", hosts_of(cfg.target));
  if (!target) {
    run.failures.push_back("the target is unreachable: " + target.error.message);
    source.value->get()->close();
    co_return std::nullopt;
  }
  if (keyspaces.empty()) {
    keyspaces = cfg.backfill.keyspaces;
  }
  if (tables.empty()) {
    tables = cfg.backfill.tables;
  }
  std::set<std::string> chosen(keyspaces.begin(), keyspaces.end());
  co_await select_tables(run, **source.value, **target.value, chosen, tables);
  co_return cluster_pair{*source.value, *target.value};
}

asio::awaitable<void> plan_tables(unit_run& run, client::cql_client& source, checkpoint_store& store,
                                  plan_rule rule) {
  const auto& cfg = run.cfg;
  for (auto& w : run.work) {
    const std::string name = w.table.keyspace + "." + w.table.name;
    auto estimates = co_await size_estimates(source, w.table);
    auto table_id = co_await table_id_of(source, w.table);
    const auto proposed = unit_count(estimated_bytes(estimates), cfg.backfill.unit_size,
                                     std::max<std::uint32_t>(rule.min_units, cfg.backfill.workers * 2));
    auto plan = co_await store.agree_plan(w.table.keyspace, w.table.name,
                                          static_cast<std::int32_t>(proposed), table_id);
    if (!plan) {
      run.failures.push_back("planning " + name + ": " + plan.error.message);
      co_return;
    }
    if (plan.value->table_id != table_id) {
      run.failures.push_back("job '" + store.job() + "' was planned for an earlier " + name +
                             " (the table has been dropped and created again since); use a new "
                             "job name");
      co_return;
    }
    const auto n = static_cast<std::uint32_t>(std::max(1, plan.value->units));
    const auto ranges = split_ring(n);
    std::vector<std::pair<std::int32_t, token_range>> planned;
    for (std::uint32_t i = 0; i < n; ++i) {
      if (!rule.chosen || rule.chosen(w.table, i, n)) {
        planned.emplace_back(static_cast<std::int32_t>(i), ranges[i]);
      }
    }
    auto units = co_await store.load(w.table.keyspace, w.table.name);
    if (units && units.value->size() < planned.size()) {
      // Only the units not yet written (a resumed run writes none).
      std::set<std::int32_t> known;
      for (const auto& u : *units.value) known.insert(u.unit);
      std::erase_if(planned, [&](const auto& p) { return known.count(p.first) > 0; });
      auto saved = co_await store.save_plan(w.table.keyspace, w.table.name, planned);
      if (!saved) {
        run.failures.push_back("saving the plan of " + name + ": " + saved.error.message);
        co_return;
      }
      units = co_await store.load(w.table.keyspace, w.table.name);
    }
    if (!units) {
      run.failures.push_back("reading the plan of " + name + ": " + units.error.message);
      co_return;
    }
    std::erase_if(*units.value, [n](const unit_state& u) {
      return u.unit < 0 || static_cast<std::uint32_t>(u.unit) >= n;
    });
    w.units = std::move(*units.value);
    for (const auto& u : w.units) {
      run.progress.units_total += 1;
      if (u.state == "done") {
        run.progress.units_done += 1;
        run.progress.units_skipped += 1;
      }
    }
  }
}

asio::awaitable<void> sweep_units(unit_run& run, checkpoint_store& store, unsigned workers,
                                  worker_factory factory) {
  auto ex = co_await asio::this_coro::executor;
  auto probe = co_await client::probe_cluster_async(run.cfg.source, run.source_tls, "source",
                                                    run.cfg.source.contact_points);
  if (probe.ok && probe.tokens) {
    run.source_ring = probe.tokens;
    run.source_nodes = probe.nodes;
  } else {
    spdlog::warn("{}: the source's ring is not known ({}): units are read through any node",
                 store.job(), probe.ok ? "not a Murmur3 ring" : probe.error);
  }
  for (;;) {
    run.next = 0;
    std::size_t remaining = 0;
    for (const auto& w : run.work) {
      for (const auto& u : w.units) remaining += u.state == "done" ? 0 : 1;
    }
    if (remaining == 0 || !run.failures.empty()) {
      break;
    }
    auto pending = std::make_shared<unsigned>(workers);
    client::wake_signal workers_done(ex);
    for (unsigned i = 0; i < workers; ++i) {
      asio::co_spawn(
          ex,
          [&run, &store, &factory, i, pending, &workers_done]() -> asio::awaitable<void> {
            co_await worker(run, store, factory, static_cast<int>(i));
            if (--*pending == 0) workers_done.notify_all();
          },
          asio::detached);
    }
    while (*pending > 0) {
      co_await workers_done.wait();
    }
    if (!run.failures.empty()) {
      break;
    }
    // Units another worker holds: look again after a while (their leases may expire).
    bool all_done = true;
    for (auto& w : run.work) {
      auto fresh = co_await store.load(w.table.keyspace, w.table.name);
      if (!fresh) {
        all_done = false;
        continue;
      }
      for (auto& u : w.units) {
        const auto f = std::find_if(fresh.value->begin(), fresh.value->end(),
                                    [&](const unit_state& x) { return x.unit == u.unit; });
        if (f != fresh.value->end() && f->state == "done" && u.state != "done") {
          u.state = "done";
          run.progress.units_done += 1;
        }
        all_done = all_done && u.state == "done";
      }
    }
    if (all_done) {
      break;
    }
    co_await sleep_ms(std::min<long>(2000, run.cfg.backfill.lease.count()));
  }
}

}  // namespace tandem::backfill
