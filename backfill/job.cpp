#include "backfill/job.hpp"

#include "backfill/checkpoint_store.hpp"
#include "backfill/copier.hpp"
#include "backfill/schema.hpp"
#include "proxy/tls_context.hpp"
#include "proxy/write_clock.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace tandem::backfill {
namespace {

using asio::as_tuple;
using asio::use_awaitable;

asio::awaitable<void> sleep_ms(long ms) {
  asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(ms));
  co_await t.async_wait(as_tuple(use_awaitable));
}

std::string default_worker_id() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return std::string(host) + "-" + std::to_string(::getpid());
}

struct table_work {
  table_def table;
  std::vector<unit_state> units;
};

struct job_state {
  const proxy::config& cfg;
  job_progress& progress;
  std::string owner;
  std::shared_ptr<asio::ssl::context> source_tls;
  std::shared_ptr<asio::ssl::context> target_tls;
  std::vector<table_work> work;
  std::size_t next = 0;  // next (table, unit) to try, flattened
  std::int64_t undated = 0;
  std::vector<std::string> failures;
  bool finished = false;
};

std::vector<std::string> hosts_of(const proxy::cluster_settings& c) { return c.contact_points; }

double share_of(const std::vector<table_work>& work) {
  if (work.empty()) return 1.0;
  double total = 0;
  for (const auto& w : work) {
    double done = 0;
    for (const auto& u : w.units) {
      if (u.state == "done") done += ring_share(u.range);
    }
    total += done;
  }
  return total / static_cast<double>(work.size());
}

// One copier: claims units one after another until none is left to claim.
asio::awaitable<void> worker(job_state& js, copy_shared& shared, checkpoint_store& store,
                             int index) {
  auto ex = co_await asio::this_coro::executor;
  auto source = co_await cql_client::open(ex, js.cfg.source, js.source_tls, "source",
                                          hosts_of(js.cfg.source));
  auto target = co_await cql_client::open(ex, js.cfg.target, js.target_tls, "target",
                                          hosts_of(js.cfg.target));
  if (!source || !target) {
    js.failures.push_back("worker " + std::to_string(index) + ": " +
                          (!source ? source.error.message : target.error.message));
    co_return;
  }
  unit_copier copier(*source.value, *target.value, store, shared, js.owner);
  for (;;) {
    while (shared.paused != nullptr && shared.paused->load()) {
      co_await sleep_ms(200);
    }
    // The next unit not done, in plan order.
    table_work* tw = nullptr;
    unit_state* unit = nullptr;
    std::size_t flat = 0;
    for (auto& w : js.work) {
      for (auto& u : w.units) {
        if (flat++ < js.next || u.state == "done") continue;
        tw = &w;
        unit = &u;
        break;
      }
      if (unit) break;
    }
    if (!unit) {
      break;
    }
    js.next = flat;
    auto claimed = co_await store.claim(*unit, js.owner, js.cfg.backfill.lease);
    if (!claimed || !*claimed.value) {
      continue;  // another worker holds it (or the store is unreachable: the sweep retries)
    }
    unit_state copy_of = *unit;
    auto result = co_await copier.copy(tw->table, copy_of, js.undated);
    if (result.done) {
      unit->state = "done";
      js.progress.units_done += 1;
    } else if (!result.error.empty()) {
      js.failures.push_back(result.error);
      spdlog::error("backfill: {}", result.error);
    } else if (result.lost_lease) {
      spdlog::warn("backfill: {}.{} unit {} was taken over by another worker", tw->table.keyspace,
                   tw->table.name, unit->unit);
    }
  }
  source.value->get()->close();
  target.value->get()->close();
}

void print_progress(const job_progress& p, std::chrono::steady_clock::time_point started,
                    bool bar) {
  const double secs =
      std::max(0.001, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  const double share = p.share_done.load();
  const double rate = static_cast<double>(p.rows.load()) / secs;
  const double eta = share > 0.001 ? secs * (1.0 - share) / share : 0;
  char line[256];
  const int width = 30;
  const int filled = static_cast<int>(share * width);
  std::string meter(static_cast<std::size_t>(filled), '=');
  meter += std::string(static_cast<std::size_t>(width - filled), ' ');
  std::snprintf(line, sizeof line,
                "[%s] %5.1f%%  units %llu/%llu  rows %llu  %.0f rows/s  %.1f MB/s  concurrency %u  ETA %.0fs",
                meter.c_str(), share * 100.0, static_cast<unsigned long long>(p.units_done.load()),
                static_cast<unsigned long long>(p.units_total.load()),
                static_cast<unsigned long long>(p.rows.load()), rate,
                static_cast<double>(p.bytes.load()) / secs / 1e6, p.concurrency.load(), eta);
  if (bar) {
    std::fprintf(stderr, "\r%s", line);
  } else {
    std::fprintf(stderr, "%s\n", line);
  }
  std::fflush(stderr);
}

asio::awaitable<void> run(job_state& js, const job_options& options) {
  auto ex = co_await asio::this_coro::executor;
  const auto& cfg = js.cfg;
  auto source = co_await cql_client::open(ex, cfg.source, js.source_tls, "source", hosts_of(cfg.source));
  if (!source) {
    js.failures.push_back("the source is unreachable: " + source.error.message);
    co_return;
  }
  auto target = co_await cql_client::open(ex, cfg.target, js.target_tls, "target", hosts_of(cfg.target));
  if (!target) {
    js.failures.push_back("the target is unreachable: " + target.error.message);
    co_return;
  }
  std::set<std::string> keyspaces(cfg.backfill.keyspaces.begin(), cfg.backfill.keyspaces.end());
  if (!options.keyspaces.empty()) {
    keyspaces = std::set<std::string>(options.keyspaces.begin(), options.keyspaces.end());
  }
  std::vector<std::string> tables = options.tables.empty() ? cfg.backfill.tables : options.tables;
  for (const auto& t : tables) {
    keyspaces.insert(t.substr(0, t.find('.')));
  }
  auto src_schema = co_await read_schema(**source.value, keyspaces, cfg.target.state_keyspace);
  auto dst_schema = co_await read_schema(**target.value, keyspaces, cfg.target.state_keyspace);
  if (!src_schema || !dst_schema) {
    js.failures.push_back("reading the schema: " +
                          (!src_schema ? src_schema.error.message : dst_schema.error.message));
    co_return;
  }
  // The tables to copy, each present on the target with the same columns.
  for (const auto& [key, t] : src_schema.value->tables) {
    const std::string name = key.first + "." + key.second;
    if (!tables.empty() && std::find(tables.begin(), tables.end(), name) == tables.end()) {
      continue;
    }
    const auto it = dst_schema.value->tables.find(key);
    if (it == dst_schema.value->tables.end()) {
      js.failures.push_back("table " + name + " does not exist on the target (run `tandem schema apply`)");
      continue;
    }
    for (const auto& c : t.columns) {
      const auto tc = std::find_if(it->second.columns.begin(), it->second.columns.end(),
                                   [&](const column_def& x) { return x.name == c.name; });
      if (tc == it->second.columns.end() || tc->type != c.type || tc->kind != c.kind) {
        js.failures.push_back("table " + name + ": column " + c.name + " (" + c.type +
                              ") differs on the target; not copied");
        break;
      }
    }
    js.work.push_back(table_work{t, {}});
  }
  for (const auto& t : tables) {
    const auto dot = t.find('.');
    if (!src_schema.value->tables.count({t.substr(0, dot), t.substr(dot + 1)})) {
      js.failures.push_back("table " + t + " does not exist on the source");
    }
  }
  if (!js.failures.empty()) {
    co_return;  // nothing is copied, nothing is marked done
  }
  checkpoint_store store(*target.value, cfg.target.state_keyspace, cfg.backfill.job,
                         cfg.target.state_replication);
  if (auto r = co_await store.ensure_tables(); !r) {
    js.failures.push_back("creating the state tables: " + r.error.message);
    co_return;
  }
  auto t0 = co_await store.t0_or(proxy::write_clock::system_now_us(), "tandem backfill " + js.owner);
  if (!t0) {
    js.failures.push_back("reading T0: " + t0.error.message);
    co_return;
  }
  js.undated = *t0.value - 1;
  spdlog::info("backfill: T0 {}; undated cells are written at {}", *t0.value, js.undated);
  // Plans: the existing one, or a new one from the size estimates.
  for (auto& w : js.work) {
    const auto ks_value = protocol::value::of(protocol::bytes(
        reinterpret_cast<const std::byte*>(w.table.keyspace.data()),
        reinterpret_cast<const std::byte*>(w.table.keyspace.data()) + w.table.keyspace.size()));
    const auto table_value = protocol::value::of(protocol::bytes(
        reinterpret_cast<const std::byte*>(w.table.name.data()),
        reinterpret_cast<const std::byte*>(w.table.name.data()) + w.table.name.size()));
    statement est{"SELECT mean_partition_size, partitions_count FROM system.size_estimates "
                  "WHERE keyspace_name = ? AND table_name = ?",
                  {ks_value, table_value}};
    auto rows = co_await (*source.value)->execute(std::move(est), protocol::consistency::one);
    std::vector<size_estimate> estimates;
    if (rows) {
      for (const auto& r : rows.value->rows.rows) {
        size_estimate e;
        if (r.size() == 2 && r[0] && r[0]->size() == 8 && r[1] && r[1]->size() == 8) {
          for (int i = 0; i < 8; ++i) {
            e.mean_partition_size = (e.mean_partition_size << 8) | std::to_integer<int>((*r[0])[i]);
            e.partitions_count = (e.partitions_count << 8) | std::to_integer<int>((*r[1])[i]);
          }
        }
        estimates.push_back(e);
      }
    }
    statement id_query{"SELECT id FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?",
                       {ks_value, table_value}};
    auto id_rows = co_await (*source.value)->execute(std::move(id_query), protocol::consistency::one);
    std::string table_id;
    if (id_rows && !id_rows.value->rows.rows.empty() && id_rows.value->rows.rows[0][0]) {
      static constexpr char hex[] = "0123456789abcdef";
      for (auto b : *id_rows.value->rows.rows[0][0]) {
        table_id += hex[std::to_integer<unsigned>(b) >> 4];
        table_id += hex[std::to_integer<unsigned>(b) & 15];
      }
    }
    const auto proposed = unit_count(estimated_bytes(estimates), cfg.backfill.unit_size,
                                     std::max<std::uint32_t>(8, cfg.backfill.workers * 2));
    auto plan = co_await store.agree_plan(w.table.keyspace, w.table.name,
                                          static_cast<std::int32_t>(proposed), table_id);
    if (!plan) {
      js.failures.push_back("planning " + w.table.keyspace + "." + w.table.name + ": " +
                            plan.error.message);
      co_return;
    }
    if (plan.value->table_id != table_id) {
      js.failures.push_back("job '" + cfg.backfill.job + "' was planned for an earlier " +
                            w.table.keyspace + "." + w.table.name +
                            " (the table has been dropped and created again since); use a new "
                            "backfill.job");
      co_return;
    }
    const auto n = static_cast<std::uint32_t>(std::max(1, plan.value->units));
    auto saved = co_await store.save_plan(w.table.keyspace, w.table.name, split_ring(n));
    if (!saved) {
      js.failures.push_back("saving the plan of " + w.table.keyspace + "." + w.table.name +
                            ": " + saved.error.message);
      co_return;
    }
    auto units = co_await store.load(w.table.keyspace, w.table.name);
    if (units) {
      std::erase_if(*units.value, [n](const unit_state& u) { return u.unit < 0 || static_cast<std::uint32_t>(u.unit) >= n; });
    }
    if (!units) {
      js.failures.push_back("reading the plan: " + units.error.message);
      co_return;
    }
    w.units = std::move(*units.value);
    for (const auto& u : w.units) {
      js.progress.units_total += 1;
      if (u.state == "done") {
        js.progress.units_done += 1;
        js.progress.units_skipped += 1;
      }
    }
  }
  if (js.progress.units_skipped > 0) {
    std::fprintf(stderr, "backfill: resuming job '%s': %llu of %llu units already done, skipped\n",
                 cfg.backfill.job.c_str(),
                 static_cast<unsigned long long>(js.progress.units_skipped.load()),
                 static_cast<unsigned long long>(js.progress.units_total.load()));
  }
  copy_shared shared(cfg.backfill, ex);
  shared.paused = options.paused;
  const auto started = std::chrono::steady_clock::now();
  // Progress, every second.
  asio::co_spawn(
      ex,
      [&js, &shared, started, bar = options.progress_bar,
       print = options.print_summary]() -> asio::awaitable<void> {
        int tick = 0;
        while (!js.finished) {
          co_await sleep_ms(1000);
          js.progress.rows = shared.rows;
          js.progress.bytes = shared.bytes;
          js.progress.retries = shared.retries;
          js.progress.concurrency = shared.limit.limit();
          js.progress.share_done = share_of(js.work);
          js.progress.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
          if (!js.finished && print && (bar || ++tick % 5 == 0)) {
            print_progress(js.progress, started, bar);
          }
        }
      },
      asio::detached);
  // Sweeps: copy what can be claimed; units held by live workers elsewhere are waited for
  // and taken over once their lease expires.
  for (;;) {
    js.next = 0;
    std::size_t remaining = 0;
    for (const auto& w : js.work) {
      for (const auto& u : w.units) remaining += u.state == "done" ? 0 : 1;
    }
    if (remaining == 0 || !js.failures.empty()) {
      break;
    }
    auto pending = std::make_shared<unsigned>(cfg.backfill.workers);
    asio::steady_timer workers_done(ex);
    for (unsigned i = 0; i < cfg.backfill.workers; ++i) {
      asio::co_spawn(
          ex,
          [&js, &shared, &store, i, pending, &workers_done]() -> asio::awaitable<void> {
            co_await worker(js, shared, store, static_cast<int>(i));
            if (--*pending == 0) workers_done.cancel();
          },
          asio::detached);
    }
    while (*pending > 0) {
      workers_done.expires_at(asio::steady_timer::time_point::max());
      co_await workers_done.async_wait(as_tuple(use_awaitable));
    }
    if (!js.failures.empty()) {
      break;
    }
    // Units another worker holds: look again after a while (their leases may expire).
    bool all_done = true;
    for (auto& w : js.work) {
      auto fresh = co_await store.load(w.table.keyspace, w.table.name);
      if (fresh) {
        for (std::size_t i = 0; i < w.units.size() && i < fresh.value->size(); ++i) {
          if ((*fresh.value)[i].state == "done" && w.units[i].state != "done") {
            w.units[i].state = "done";
            js.progress.units_done += 1;
          }
          all_done = all_done && w.units[i].state == "done";
        }
      }
    }
    if (all_done) {
      break;
    }
    co_await sleep_ms(std::min<long>(2000, cfg.backfill.lease.count()));
  }
  js.finished = true;
  js.progress.rows = shared.rows;
  js.progress.bytes = shared.bytes;
  js.progress.share_done = share_of(js.work);
  js.progress.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (options.progress_bar && options.print_summary) {
    print_progress(js.progress, started, true);
    std::fprintf(stderr, "\n");
  }
  if (!options.print_summary) {
    (*source.value)->close();
    (*target.value)->close();
    co_return;
  }
  const double secs = std::max(0.001, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  std::fprintf(stderr,
               "backfill: %s: %llu rows, %.1f MB copied in %.1f s (%.0f rows/s, %.2f MB/s, "
               "%.0f write requests/s); units "
               "%llu/%llu done (%llu skipped as done before); %llu retries after push-back; "
               "adaptive concurrency ended at %u (%llu decreases)\n",
               js.failures.empty() ? "finished" : "stopped",
               static_cast<unsigned long long>(shared.rows), static_cast<double>(shared.bytes) / 1e6,
               secs, static_cast<double>(shared.rows) / secs,
               static_cast<double>(shared.bytes) / secs / 1e6,
               static_cast<double>(shared.requests) / secs,
               static_cast<unsigned long long>(js.progress.units_done.load()),
               static_cast<unsigned long long>(js.progress.units_total.load()),
               static_cast<unsigned long long>(js.progress.units_skipped.load()),
               static_cast<unsigned long long>(shared.retries), shared.limit.limit(),
               static_cast<unsigned long long>(shared.limit.decreases()));
  (*source.value)->close();
  (*target.value)->close();
}

std::string take_config_path(std::vector<std::string>& args) {
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--config") {
      std::string path = args[i + 1];
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(i), args.begin() + static_cast<std::ptrdiff_t>(i + 2));
      return path;
    }
  }
  return {};
}

}  // namespace

int run_backfill(const proxy::config& cfg, const job_options& options, job_progress& progress) {
  job_state js{cfg, progress, options.worker_id.empty() ? default_worker_id() : options.worker_id,
               proxy::make_cluster_tls(cfg.source.tls, "source"),
               proxy::make_cluster_tls(cfg.target.tls, "target"), {}, 0, 0, {}, false};
  asio::io_context io{1};
  asio::co_spawn(io, run(js, options), [&](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        js.failures.push_back(std::string("internal error: ") + ex.what());
      }
    }
    io.stop();
  });
  io.run();
  for (const auto& f : js.failures) {
    if (options.print_summary) {
      std::fprintf(stderr, "backfill: error: %s\n", f.c_str());
    } else {
      spdlog::error("backfill: {}", f);
    }
  }
  progress.set_failures(js.failures);
  return js.failures.empty() ? 0 : 1;
}

int backfill_command(const std::vector<std::string>& in) {
  std::vector<std::string> args = in;
  try {
    const std::string path = take_config_path(args);
    const auto cfg = proxy::load_config_from_process(path);
    job_options options;
    options.progress_bar = ::isatty(2) != 0;
    for (std::size_t i = 0; i < args.size(); ++i) {
      const auto& a = args[i];
      const bool has_value = i + 1 < args.size();
      if (a == "--worker-id" && has_value) {
        options.worker_id = args[++i];
      } else if (a == "--table" && has_value) {
        options.tables.push_back(args[++i]);
      } else if (a == "--keyspace" && has_value) {
        options.keyspaces.push_back(args[++i]);
      } else if (a == "--no-progress-bar") {
        options.progress_bar = false;
      } else {
        std::cerr << "tandem backfill: unknown argument '" << a
                  << "'\nusage: tandem backfill [--config FILE] [--worker-id ID] [--table ks.t]... "
                     "[--keyspace ks]... [--no-progress-bar]\n";
        return 2;
      }
    }
    job_progress progress;
    return run_backfill(cfg, options, progress);
  } catch (const proxy::config_error& e) {
    std::cerr << "tandem backfill: configuration error: " << e.what() << "\n";
    return 2;
  }
}

int schema_command(const std::vector<std::string>& in) {
  std::vector<std::string> args = in;
  try {
    const std::string path = take_config_path(args);
    if (args.size() != 1 || (args[0] != "diff" && args[0] != "apply")) {
      std::cerr << "usage: tandem schema diff|apply [--config FILE]\n";
      return 2;
    }
    const bool apply = args[0] == "apply";
    const auto cfg = proxy::load_config_from_process(path);
    auto source_tls = proxy::make_cluster_tls(cfg.source.tls, "source");
    auto target_tls = proxy::make_cluster_tls(cfg.target.tls, "target");
    asio::io_context io{1};
    int code = 0;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          auto ex = co_await asio::this_coro::executor;
          auto source = co_await cql_client::open(ex, cfg.source, source_tls, "source", cfg.source.contact_points);
          auto target = co_await cql_client::open(ex, cfg.target, target_tls, "target", cfg.target.contact_points);
          if (!source || !target) {
            std::cerr << "tandem schema: " << (!source ? "source" : "target") << " unreachable: "
                      << (!source ? source.error.message : target.error.message) << "\n";
            code = 1;
            co_return;
          }
          std::set<std::string> keyspaces(cfg.backfill.keyspaces.begin(), cfg.backfill.keyspaces.end());
          auto s = co_await read_schema(**source.value, keyspaces, cfg.target.state_keyspace);
          auto t = co_await read_schema(**target.value, keyspaces, cfg.target.state_keyspace);
          if (!s || !t) {
            std::cerr << "tandem schema: reading the schema: "
                      << (!s ? s.error.message : t.error.message) << "\n";
            code = 1;
            co_return;
          }
          const auto d = diff_schema(*s.value, *t.value);
          for (const auto& cql : d.create) {
            std::cout << (apply ? "creating: " : "missing on the target: ") << cql << "\n";
            if (apply) {
              statement st{cql, {}};
              auto r = co_await (*target.value)->execute(std::move(st), protocol::consistency::one);
              if (!r) {
                std::cerr << "tandem schema: failed: " << r.error.message << "\n";
                code = 1;
                co_return;
              }
            }
          }
          for (const auto& line : d.differences) {
            std::cout << "differs: " << line << "\n";
          }
          if (d.create.empty() && d.differences.empty()) {
            std::cout << "the target has every keyspace, type, table and index of the source\n";
          }
          if (!apply && !d.create.empty()) {
            code = 3;  // diff found something to create
          }
        },
        [&](std::exception_ptr e) {
          if (e) code = 1;
          io.stop();  // open connections (read loops, heartbeats) would keep it running
        });
    io.run();
    return code;
  } catch (const proxy::config_error& e) {
    std::cerr << "tandem schema: configuration error: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace tandem::backfill
