#include "backfill/control.hpp"
#include "backfill/command_usage.hpp"
#include "backfill/job.hpp"

#include "backfill/checkpoint_store.hpp"
#include "backfill/copier.hpp"
#include "backfill/schema.hpp"
#include "backfill/unit_runner.hpp"
#include "client/tls_context.hpp"
#include "client/write_clock.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace tandem::backfill {
namespace {

using asio::as_tuple;
using asio::use_awaitable;

// The copier as a unit worker of the sweep.
class copy_worker : public unit_worker {
 public:
  copy_worker(std::shared_ptr<client::cql_client> target, checkpoint_store& store,
              copy_shared& shared, std::string owner, std::int64_t undated)
      : copier_(std::move(target), store, shared, std::move(owner)),
        undated_(undated) {}

  asio::awaitable<unit_result> run(const table_def& t, unit_state u,
                                   std::shared_ptr<client::cql_client> source) override {
    auto r = co_await copier_.copy(t, std::move(u), undated_, std::move(source));
    co_return r;
  }

 private:
  unit_copier copier_;
  std::int64_t undated_;
};

std::vector<table_progress> tables_progress(const std::vector<table_work>& work,
                                            const copy_shared& shared) {
  std::vector<table_progress> out;
  for (const auto& w : work) {
    table_progress t;
    t.table = w.table.keyspace + "." + w.table.name;
    const auto rows = shared.table_rows.find(t.table);
    t.rows = rows == shared.table_rows.end() ? 0 : rows->second;
    t.units_total = w.units.size();
    t.units_done = static_cast<std::uint64_t>(
        std::count_if(w.units.begin(), w.units.end(), [](const unit_state& u) { return u.state == "done"; }));
    t.share_done = share_done(w);
    out.push_back(std::move(t));
  }
  return out;
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
    // One line per table still being copied (with a bar, the one line is all a terminal shows).
    for (const auto& t : p.tables()) {
      if (t.share_done >= 1.0) continue;
      const double t_rate = static_cast<double>(t.rows) / secs;
      const double t_eta = t.share_done > 0.001 ? secs * (1.0 - t.share_done) / t.share_done : 0;
      std::fprintf(stderr, "  %s: %5.1f%%  units %llu/%llu  rows %llu  %.0f rows/s  ETA %.0fs\n",
                   t.table.c_str(), t.share_done * 100.0, static_cast<unsigned long long>(t.units_done),
                   static_cast<unsigned long long>(t.units_total),
                   static_cast<unsigned long long>(t.rows), t_rate, t_eta);
    }
  }
  std::fflush(stderr);
}

asio::awaitable<void> run(unit_run& js, const job_options& options) {
  auto ex = co_await asio::this_coro::executor;
  const auto& cfg = js.cfg;
  auto pair = co_await open_and_select(js, options.keyspaces, options.tables);
  if (!pair || !js.failures.empty()) {
    co_return;  // nothing is copied, nothing is marked done
  }
  auto& source = pair->source;
  auto& target = pair->target;
  checkpoint_store store(target, cfg.target.state_keyspace, cfg.backfill.job,
                         cfg.target.state_replication);
  if (auto r = co_await store.ensure_tables(); !r) {
    js.failures.push_back("creating the state tables: " + r.error.message);
    co_return;
  }
  auto t0 = co_await store.t0_or(client::write_clock::system_now_us(), "tandem backfill " + js.owner);
  if (!t0) {
    js.failures.push_back("reading T0: " + t0.error.message);
    co_return;
  }
  const std::int64_t undated = *t0.value - 1;
  spdlog::info("backfill: T0 {}; undated cells are written at {}", *t0.value, undated);
  co_await plan_tables(js, *source, store, plan_rule{});
  if (!js.failures.empty()) {
    co_return;
  }
  if (js.progress.units_skipped > 0) {
    std::fprintf(stderr, "backfill: resuming job '%s': %llu of %llu units already done, skipped\n",
                 cfg.backfill.job.c_str(),
                 static_cast<unsigned long long>(js.progress.units_skipped.load()),
                 static_cast<unsigned long long>(js.progress.units_total.load()));
  }
  copy_shared shared(cfg.backfill, ex);
  shared.paused = options.paused;
  js.paused = options.paused;
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
          js.progress.share_done = share_done(js.work);
          js.progress.set_tables(tables_progress(js.work, shared));
          js.progress.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
          if (!js.finished && print && (bar || ++tick % 5 == 0)) {
            print_progress(js.progress, started, bar);
          }
        }
      },
      asio::detached);
  const std::string owner = js.owner;
  // The copy reads each unit through the source connection the sweep hands it per unit.
  worker_factory factory = [&store, &shared, owner, undated](std::shared_ptr<client::cql_client>,
                                                             std::shared_ptr<client::cql_client> t) {
    return std::make_unique<copy_worker>(std::move(t), store, shared, owner, undated);
  };
  co_await sweep_units(js, store, cfg.backfill.workers, factory);
  js.finished = true;
  js.progress.rows = shared.rows;
  js.progress.bytes = shared.bytes;
  js.progress.share_done = share_done(js.work);
  js.progress.set_tables(tables_progress(js.work, shared));
  js.progress.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (options.progress_bar && options.print_summary) {
    print_progress(js.progress, started, true);
    std::fprintf(stderr, "\n");
  }
  if (!options.print_summary) {
    source->close();
    target->close();
    co_return;
  }
  const double secs = std::max(0.001, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  const std::string pace =
      shared.pacer.cuts() == 0
          ? std::string("no pace set by the target")
          : "paced by the target at " + std::to_string(static_cast<long long>(shared.pacer.ceiling())) +
                " write requests/s (" + std::to_string(shared.pacer.cuts()) + " cuts)";
  std::fprintf(stderr,
               "backfill: %s: %llu rows, %.1f MB copied in %.1f s (%.0f rows/s, %.2f MB/s, "
               "%.0f write requests/s); units "
               "%llu/%llu done (%llu skipped as done before); %llu retries after push-back (%llu "
               "Overloaded); adaptive concurrency ended at %u (%llu decreases); %s; at most %zu "
               "writes in flight on one partition\n",
               js.failures.empty() ? "finished" : "stopped",
               static_cast<unsigned long long>(shared.rows), static_cast<double>(shared.bytes) / 1e6,
               secs, static_cast<double>(shared.rows) / secs,
               static_cast<double>(shared.bytes) / secs / 1e6,
               static_cast<double>(shared.requests) / secs,
               static_cast<unsigned long long>(js.progress.units_done.load()),
               static_cast<unsigned long long>(js.progress.units_total.load()),
               static_cast<unsigned long long>(js.progress.units_skipped.load()),
               static_cast<unsigned long long>(shared.retries),
               static_cast<unsigned long long>(shared.overloaded), shared.limit.limit(),
               static_cast<unsigned long long>(shared.limit.decreases()), pace.c_str(),
               shared.most_partition_in_flight);
  if (js.source_ring) {
    std::fprintf(stderr,
                 "backfill: %llu units read through a replica of their range, %llu through "
                 "another node\n",
                 static_cast<unsigned long long>(js.units_on_replica),
                 static_cast<unsigned long long>(js.units_elsewhere));
  }
  source->close();
  target->close();
}

}  // namespace

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

int run_backfill(const migration_settings& cfg, const job_options& options, job_progress& progress) {
  unit_run js{cfg, progress, options.worker_id.empty() ? default_worker_id() : options.worker_id,
              client::make_cluster_tls(cfg.source.tls, "source"),
              client::make_cluster_tls(cfg.target.tls, "target"), {}, {}};
  js.workers_throw_on_overload = true;
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

int backfill_command(const std::vector<std::string>& in, const settings_loader& load) {
  std::vector<std::string> args = in;
  if (asks_for_help(args)) {
    std::cout << backfill_usage;
    return 0;
  }
  try {
    const std::string path = take_config_path(args);
    job_options options;
    options.progress_bar = ::isatty(2) != 0;
    // The arguments before the configuration: a mistyped option is named as such, not hidden
    // behind an error of the file it did not get to.
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (!take_run_option(args, i, options)) {
        std::cerr << "tandem backfill: unknown option '" << args[i] << "'\n" << backfill_usage;
        return 2;
      }
    }
    const auto cfg = load(path);
    job_progress progress;
    return run_backfill(cfg, options, progress);
  } catch (const client::config_error& e) {
    std::cerr << "tandem backfill: configuration error: " << e.what() << "\n";
    return 2;
  }
}

int schema_command(const std::vector<std::string>& in, const settings_loader& load) {
  std::vector<std::string> args = in;
  if (asks_for_help(args)) {
    std::cout << schema_usage;
    return 0;
  }
  try {
    const std::string path = take_config_path(args);
    if (args.size() != 1 || (args[0] != "diff" && args[0] != "apply")) {
      if (!args.empty() && args[0] != "diff" && args[0] != "apply") {
        std::cerr << "tandem schema: unknown action '" << args[0] << "'\n";
      } else if (args.size() > 1) {
        std::cerr << "tandem schema: unknown option '" << args[1] << "'\n";
      }
      std::cerr << schema_usage;
      return 2;
    }
    const bool apply = args[0] == "apply";
    const auto cfg = load(path);
    auto source_tls = client::make_cluster_tls(cfg.source.tls, "source");
    auto target_tls = client::make_cluster_tls(cfg.target.tls, "target");
    asio::io_context io{1};
    int code = 0;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          auto ex = co_await asio::this_coro::executor;
          auto source = co_await client::cql_client::open(ex, cfg.source, source_tls, "source", cfg.source.contact_points);
          auto target = co_await client::cql_client::open(ex, cfg.target, target_tls, "target", cfg.target.contact_points);
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
              client::statement st{cql, {}};
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
  } catch (const client::config_error& e) {
    std::cerr << "tandem schema: configuration error: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace tandem::backfill
