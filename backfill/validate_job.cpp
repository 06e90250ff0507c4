#include "backfill/control.hpp"
#include "backfill/command_usage.hpp"
#include "backfill/validate_job.hpp"

#include "backfill/unit_runner.hpp"
#include "backfill/validation_store.hpp"
#include "backfill/validator.hpp"
#include "client/tls_context.hpp"
#include "client/write_clock.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <numeric>
#include <random>
#include <unistd.h>

namespace tandem::backfill {
namespace {

struct validate_run {
  unit_run units;
  int exit_code = 0;
};

void print_line(const job_progress& p, std::uint64_t rows,
                std::chrono::steady_clock::time_point started, bool bar) {
  const double secs = std::max(
      0.001, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  const double share = p.share_done.load();
  const double eta = share > 0.001 ? secs * (1.0 - share) / share : 0;
  const int width = 30;
  std::string meter(static_cast<std::size_t>(share * width), '=');
  meter.resize(width, ' ');
  std::fprintf(stderr, "%s[%s] %5.1f%%  units %llu/%llu  rows %llu  %.0f rows/s  ETA %.0fs%s",
               bar ? "\r" : "", meter.c_str(), share * 100.0,
               static_cast<unsigned long long>(p.units_done.load()),
               static_cast<unsigned long long>(p.units_total.load()),
               static_cast<unsigned long long>(rows), static_cast<double>(rows) / secs, eta,
               bar ? "" : "\n");
  std::fflush(stderr);
}

void print_summary(const validate_shared& shared, double seconds) {
  std::fprintf(stderr, "\n%-32s %10s %8s %9s %8s %8s %8s %9s %8s %9s %10s\n", "table", "rows",
               "found", "converged", "missing", "extra", "value", "writetime", "ttl", "repaired",
               "unresolved");
  for (const auto& [name, t] : shared.tallies) {
    const auto n = [&](difference_kind k) {
      const auto it = t.confirmed.find(k);
      return static_cast<unsigned long long>(it == t.confirmed.end() ? 0 : it->second);
    };
    std::fprintf(stderr, "%-32s %10llu %8llu %9llu %8llu %8llu %8llu %9llu %8llu %9llu %10llu\n",
                 name.c_str(), static_cast<unsigned long long>(t.rows),
                 static_cast<unsigned long long>(t.found),
                 static_cast<unsigned long long>(t.converged), n(difference_kind::missing_on_target),
                 n(difference_kind::extra_on_target), n(difference_kind::value_differs),
                 n(difference_kind::writetime_differs), n(difference_kind::ttl_differs),
                 static_cast<unsigned long long>(t.repaired),
                 static_cast<unsigned long long>(t.unresolved));
  }
  std::fprintf(stderr, "validate: %llu rows compared in %.1f s (%.0f rows/s)\n",
               static_cast<unsigned long long>(shared.rows), seconds,
               static_cast<double>(shared.rows) / std::max(0.001, seconds));
}

// After the sweep: every table whose units of this round are all done gets its result saved;
// returns the differences left over all tables (every worker's units), or -1 when unknown.
asio::awaitable<std::int64_t> save_results(validate_run& vr, checkpoint_store& units,
                                           validation_store& results,
                                           const validation_round& round,
                                           const validate_shared& shared) {
  std::int64_t left = 0;
  bool complete = true;
  for (const auto& w : vr.units.work) {
    auto loaded = co_await units.load(w.table.keyspace, w.table.name);
    if (!loaded) {
      vr.units.failures.push_back("reading the round's units: " + loaded.error.message);
      co_return -1;
    }
    table_validation r;
    r.keyspace = w.table.keyspace;
    r.table = w.table.name;
    r.round = round.round;
    r.started_us = round.started_us;
    r.finished_us = client::write_clock::system_now_us();
    r.sample = round.sample;
    bool done = true;
    for (const auto& u : *loaded.value) {
      done = done && u.state == "done";
      r.rows_compared += u.rows_copied;
      r.unresolved += u.bytes_copied;
    }
    const auto tally = shared.tallies.find(w.table.keyspace + "." + w.table.name);
    r.repaired = tally == shared.tallies.end() ? 0 : static_cast<std::int64_t>(tally->second.repaired);
    left += r.unresolved;
    complete = complete && done;
    // A sample proves nothing for the cutover gate, except that differences exist.
    if (done && (round.sample >= 1.0 || r.unresolved > 0)) {
      auto saved = co_await results.save_result(r);
      if (!saved) {
        vr.units.failures.push_back("saving the result of " + r.keyspace + "." + r.table + ": " +
                                    saved.error.message);
      }
    }
  }
  if (complete) {
    auto finished = co_await results.finish_round(round.round);
    if (!finished) {
      vr.units.failures.push_back("finishing the round: " + finished.error.message);
    }
  }
  co_return left;
}

asio::awaitable<void> run(validate_run& vr, const validate_options& options) {
  auto ex = co_await asio::this_coro::executor;
  auto& run = vr.units;
  const auto& cfg = run.cfg;
  auto pair = co_await open_and_select(run, options.keyspaces, options.tables);
  if (!pair || !run.failures.empty()) {
    co_return;
  }
  auto& source = pair->source;
  auto& target = pair->target;
  checkpoint_store state(target, cfg.target.state_keyspace, cfg.validate.job,
                         cfg.target.state_replication);
  validation_store results(target, cfg.target.state_keyspace, cfg.validate.job);
  if (auto r = co_await state.ensure_tables(); !r) {
    run.failures.push_back("creating the state tables: " + r.error.message);
    co_return;
  }
  if (auto r = co_await results.ensure_tables(); !r) {
    run.failures.push_back("creating the validation tables: " + r.error.message);
    co_return;
  }
  auto round = co_await results.begin_round(options.sample, options.seed, options.new_round);
  if (!round) {
    run.failures.push_back("starting a validation round: " + round.error.message);
    co_return;
  }
  const auto& rd = *round.value;
  validate_shared shared{cfg, false, 0, 0, nullptr, nullptr, {}, 0};
  shared.repair = options.repair;
  shared.round = rd.round;
  shared.paused = run.paused;
  if (options.repair) {
    auto t0 = co_await state.t0_or(client::write_clock::system_now_us(), "tandem validate " + run.owner);
    if (!t0) {
      run.failures.push_back("reading T0: " + t0.error.message);
      co_return;
    }
    shared.undated = *t0.value - 1;
  }
  std::string report_path = options.report_path;
  if (report_path.empty()) {
    report_path = (std::filesystem::path(cfg.validate.report_dir) /
                   ("tandem-validation-" + cfg.validate.job + "-round-" + std::to_string(rd.round) + ".jsonl"))
                      .string();
  }
  shared.report = std::fopen(report_path.c_str(), "a");
  if (shared.report == nullptr) {
    run.failures.push_back("cannot write the report " + report_path + ": " + std::strerror(errno));
    co_return;
  }
  std::fprintf(stderr, "validate: %s round %d (sample %.3g, seed %lld)%s; report: %s\n",
               rd.resumed ? "resuming" : "starting", rd.round, rd.sample,
               static_cast<long long>(rd.seed), options.repair ? ", repairing" : "",
               report_path.c_str());
  checkpoint_store units(target, cfg.target.state_keyspace, results.unit_job(rd.round),
                         cfg.target.state_replication);
  plan_rule rule;
  rule.min_units = std::max<std::uint32_t>(
      cfg.validate.min_units, static_cast<std::uint32_t>(std::ceil(8.0 / std::max(rd.sample, 1e-6))));
  if (rd.sample < 1.0) {
    rule.chosen = [share = rd.sample, seed = rd.seed](const table_def& t, std::uint32_t unit,
                                                      std::uint32_t n) {
      return sampled(share, seed, t.keyspace + "." + t.name, unit, n);
    };
  }
  co_await plan_tables(run, *source, units, rule);
  if (!run.failures.empty()) {
    std::fclose(shared.report);
    co_return;
  }
  if (run.progress.units_skipped > 0) {
    std::fprintf(stderr, "validate: %llu of %llu units already validated in this round, skipped\n",
                 static_cast<unsigned long long>(run.progress.units_skipped.load()),
                 static_cast<unsigned long long>(run.progress.units_total.load()));
  }
  const auto started = std::chrono::steady_clock::now();
  asio::co_spawn(
      ex,
      [&run, &shared, started, bar = options.progress_bar]() -> asio::awaitable<void> {
        int tick = 0;
        while (!run.finished) {
          co_await sleep_ms(1000);
          run.progress.rows = shared.rows;
          run.progress.share_done = share_done(run.work);
          if (!run.finished && (bar || ++tick % 5 == 0)) {
            print_line(run.progress, shared.rows, started, bar);
          }
        }
      },
      asio::detached);
  const std::string owner = run.owner;
  worker_factory factory = [&units, &shared, owner](std::shared_ptr<client::cql_client> s,
                                                    std::shared_ptr<client::cql_client> t) {
    return std::make_unique<unit_validator>(std::move(s), std::move(t), units, shared, owner);
  };
  co_await sweep_units(run, units, cfg.validate.workers, factory);
  run.finished = true;
  std::int64_t left = -1;
  if (run.failures.empty()) {
    left = co_await save_results(vr, units, results, rd, shared);
  }
  std::fclose(shared.report);
  run.progress.share_done = share_done(run.work);
  if (options.progress_bar) {
    print_line(run.progress, shared.rows, started, true);
  }
  print_summary(shared, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (left > 0) {
    std::fprintf(stderr, "validate: %lld differences remain (round %d, every worker); see %s\n",
                 static_cast<long long>(left), rd.round, report_path.c_str());
    vr.exit_code = 1;
  } else if (left == 0) {
    std::fprintf(stderr, "validate: clean: no difference remains in round %d\n", rd.round);
  }
  source->close();
  target->close();
}

}  // namespace

bool sampled(double share, std::int64_t seed, const std::string& table, std::uint32_t unit,
             std::uint32_t units) {
  if (share >= 1.0) {
    return true;
  }
  // A permutation of the units from (seed, table); the sample is its first k units.
  std::vector<std::uint32_t> order(units);
  std::iota(order.begin(), order.end(), 0u);
  std::mt19937_64 rng(static_cast<std::uint64_t>(seed) ^ std::hash<std::string>{}(table));
  std::shuffle(order.begin(), order.end(), rng);
  const auto k = std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(share * units)));
  return std::find(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(k, units)), unit) !=
         order.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(k, units));
}

int run_validate(const migration_settings& cfg, const validate_options& options) {
  job_progress progress;
  validate_run vr{unit_run{cfg, progress,
                           options.worker_id.empty() ? default_worker_id() : options.worker_id,
                           client::make_cluster_tls(cfg.source.tls, "source"),
                           client::make_cluster_tls(cfg.target.tls, "target"), {}, {}}};
  asio::io_context io{1};
  asio::co_spawn(io, run(vr, options), [&](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        vr.units.failures.push_back(std::string("internal error: ") + ex.what());
      }
    }
    io.stop();
  });
  io.run();
  for (const auto& f : vr.units.failures) {
    std::fprintf(stderr, "validate: error: %s\n", f.c_str());
  }
  return vr.units.failures.empty() ? vr.exit_code : 3;
}

int validate_command(const std::vector<std::string>& in, const settings_loader& load) {
  std::vector<std::string> args = in;
  if (asks_for_help(args)) {
    std::cout << validate_usage;
    return 0;
  }
  try {
    const std::string path = take_config_path(args);
    validate_options options;
    options.progress_bar = ::isatty(2) != 0;
    for (std::size_t i = 0; i < args.size(); ++i) {
      const auto& a = args[i];
      const bool has_value = i + 1 < args.size();
      if (take_run_option(args, i, options)) {
        continue;
      }
      if (a == "--sample" && has_value) {
        const std::string v = args[++i];
        char* end = nullptr;
        options.sample = std::strtod(v.c_str(), &end);
        if (end == v.c_str() || *end != '\0' || !(options.sample > 0.0) || options.sample > 1.0) {
          std::cerr << "tandem validate: --sample takes a share of the token space in (0, 1], "
                       "not '" << v << "'\n";
          return 2;
        }
      } else if (a == "--seed" && has_value) {
        options.seed = std::strtoll(args[++i].c_str(), nullptr, 10);
      } else if (a == "--repair") {
        options.repair = true;
      } else if (a == "--report" && has_value) {
        options.report_path = args[++i];
      } else if (a == "--new-round") {
        options.new_round = true;
      } else {
        std::cerr << "tandem validate: unknown option '" << a << "'\n" << validate_usage;
        return 2;
      }
    }
    if (options.seed == 0) {
      options.seed = client::write_clock::system_now_us();
    }
    const auto cfg = load(path);
    return run_validate(cfg, options);
  } catch (const client::config_error& e) {
    std::cerr << "tandem validate: configuration error: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace tandem::backfill
