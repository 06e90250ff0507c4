// `tandem backfill`: plans every selected table (or resumes its plan), copies the units with
// `backfill.workers` concurrent copiers, takes over units whose owner's lease expired, shows
// progress, and prints a summary. Works with or without a proxy running (DESIGN.md).
#pragma once

#include "backfill/settings.hpp"

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace tandem::backfill {

struct job_options {
  std::string worker_id;                 // empty: <host>-<pid>
  std::vector<std::string> tables;       // from --table: overrides backfill.tables
  std::vector<std::string> keyspaces;    // from --keyspace: overrides backfill.keyspaces
  bool progress_bar = true;              // a one-line bar when stderr is a terminal
  bool print_summary = true;             // the progress lines and summary on stderr
  const std::atomic<bool>* paused = nullptr;  // while true, no new page or unit is started
};

// One table's part of the progress (GET /api/v1/backfill "tables", the terminal's lines).
struct table_progress {
  std::string table;  // ks.t
  std::uint64_t rows = 0;
  std::uint64_t units_total = 0;
  std::uint64_t units_done = 0;
  double share_done = 0;  // of the table's token ranges
};

// Progress the admin port and the terminal show.
struct job_progress {
  std::atomic<std::uint64_t> units_total{0};
  std::atomic<std::uint64_t> units_done{0};
  std::atomic<std::uint64_t> units_skipped{0};  // already done when this run began
  std::atomic<std::uint64_t> rows{0};
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<double> share_done{0};            // of the token space, all tables weighted equally
  std::atomic<std::uint64_t> retries{0};
  std::atomic<unsigned> concurrency{0};
  std::atomic<double> seconds{0};

  // Why the run stopped, when it did not finish (set at the end).
  std::vector<std::string> failures() const {
    std::lock_guard lock(mutex_);
    return failures_;
  }
  void set_failures(std::vector<std::string> f) {
    std::lock_guard lock(mutex_);
    failures_ = std::move(f);
  }
  std::vector<table_progress> tables() const {
    std::lock_guard lock(mutex_);
    return tables_;
  }
  void set_tables(std::vector<table_progress> t) {
    std::lock_guard lock(mutex_);
    tables_ = std::move(t);
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> failures_;
  std::vector<table_progress> tables_;
};

// Runs the whole job; returns the process exit code (0: every unit done).
int run_backfill(const migration_settings& cfg, const job_options& options, job_progress& progress);

// The options `tandem backfill` and `tandem validate` share: --worker-id ID, --table ks.t,
// --keyspace ks, --no-progress-bar. When args[i] is one of them it is stored into `o` (an
// options struct with those members), i steps past its value, and the result is true.
template <class Options>
bool take_run_option(const std::vector<std::string>& args, std::size_t& i, Options& o) {
  const auto& a = args[i];
  const bool has_value = i + 1 < args.size();
  if (a == "--worker-id" && has_value) {
    o.worker_id = args[++i];
  } else if (a == "--table" && has_value) {
    o.tables.push_back(args[++i]);
  } else if (a == "--keyspace" && has_value) {
    o.keyspaces.push_back(args[++i]);
  } else if (a == "--no-progress-bar") {
    o.progress_bar = false;
  } else {
    return false;
  }
  return true;
}

// Removes `--config FILE` from args and returns FILE ("" when absent): the subcommands' option.
std::string take_config_path(std::vector<std::string>& args);


}  // namespace tandem::backfill
