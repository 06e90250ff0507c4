#include "backfill/admin_job.hpp"

#include "backfill/cutover.hpp"

#include <boost/json.hpp>

#include <unistd.h>

namespace tandem::backfill {

admin_job::~admin_job() {
  if (thread_.joinable()) {
    thread_.detach();  // the process is ending; the job's state is in its checkpoints
  }
}

std::string admin_job::start() {
  std::lock_guard lock(mutex_);
  if (running_) {
    return "a backfill is already running (pause or wait for it)";
  }
  if (thread_.joinable()) {
    thread_.join();
  }
  progress_ = std::make_shared<job_progress>();
  paused_ = false;
  running_ = true;
  exit_code_ = -1;
  thread_ = std::thread([this, progress = progress_] {
    job_options options;
    options.worker_id = "proxy-" + std::to_string(::getpid());
    options.progress_bar = false;
    options.print_summary = false;
    options.paused = &paused_;
    exit_code_ = run_backfill(cfg_, options, *progress);
    running_ = false;
  });
  return {};
}

std::string admin_job::pause() {
  if (!running_) {
    return "no backfill is running";
  }
  if (paused_.exchange(true)) {
    return "the backfill is already paused";
  }
  return {};
}

std::string admin_job::resume() {
  if (!running_) {
    return "no backfill is running (start one)";
  }
  if (!paused_.exchange(false)) {
    return "the backfill is not paused";
  }
  return {};
}

std::uint64_t admin_job::rows_copied() const {
  std::lock_guard lock(mutex_);
  return progress_ ? progress_->rows.load() : 0;
}

std::string admin_job::status_json() const {
  namespace json = boost::json;
  std::lock_guard lock(mutex_);
  json::object o;
  o["job"] = cfg_.backfill.job;
  if (!progress_) {
    o["state"] = "idle";
    return json::serialize(o);
  }
  const auto& p = *progress_;
  const int code = exit_code_.load();
  o["state"] = running_ ? (paused_ ? "paused" : "running") : (code == 0 ? "finished" : "failed");
  o["units_total"] = p.units_total.load();
  o["units_done"] = p.units_done.load();
  o["units_skipped"] = p.units_skipped.load();
  o["rows"] = p.rows.load();
  o["bytes"] = p.bytes.load();
  o["share_done"] = p.share_done.load();
  const double secs = p.seconds.load();
  o["seconds"] = secs;
  o["rows_per_second"] = secs > 0 ? static_cast<double>(p.rows.load()) / secs : 0.0;
  o["retries"] = p.retries.load();
  o["concurrency"] = p.concurrency.load();
  // Per table: rows copied by this run, its rate and, from the share of its token ranges
  // done, an estimate of the seconds left (null until a unit is done).
  json::array tables;
  for (const auto& t : p.tables()) {
    json::object row;
    row["table"] = t.table;
    row["rows"] = t.rows;
    row["units_total"] = t.units_total;
    row["units_done"] = t.units_done;
    row["share_done"] = t.share_done;
    row["rows_per_second"] = secs > 0 ? static_cast<double>(t.rows) / secs : 0.0;
    if (t.share_done >= 1.0) {
      row["eta_seconds"] = 0.0;
    } else if (t.share_done > 0.001 && secs > 0) {
      row["eta_seconds"] = secs * (1.0 - t.share_done) / t.share_done;
    } else {
      row["eta_seconds"] = nullptr;
    }
    tables.emplace_back(std::move(row));
  }
  o["tables"] = std::move(tables);
  json::array errors;
  for (const auto& f : p.failures()) {
    errors.emplace_back(f);
  }
  o["errors"] = std::move(errors);
  return json::serialize(o);
}

std::string admin_job::cutover_json(const cutover_live& live) const {
  const auto in = gather(cfg_, live, std::chrono::seconds(5));
  return verdict_json(in, decide(in));
}

std::shared_ptr<control> make_control(const migration_settings& settings) {
  return std::make_shared<admin_job>(settings);
}

}  // namespace tandem::backfill
