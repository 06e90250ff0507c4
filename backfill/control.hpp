// The one header through which the proxy embeds the backfill (DESIGN.md "Folders": proxy ->
// backfill, never back): the subcommands `tandem backfill|schema|validate|cutover`, and the
// handle the admin port drives a backfill run and reads the cutover gate with (POST/GET
// /api/v1/backfill, GET /api/v1/cutover). The backfill knows nothing of the proxy: the
// executable passes it the proxy's configuration loader and its configuration.
#pragma once

#include "backfill/cutover.hpp"
#include "backfill/settings.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tandem::backfill {

class control {
 public:
  virtual ~control() = default;
  // Each returns "" or why the action is refused (already running, not running, ...).
  virtual std::string start() = 0;
  virtual std::string pause() = 0;
  virtual std::string resume() = 0;
  // A JSON object: state (idle | running | paused | finished | failed), units, rows, rates.
  virtual std::string status_json() const = 0;
  // Rows the current (or last) run copied so far; 0 before the first. For the rate charts.
  virtual std::uint64_t rows_copied() const = 0;
  // GET /api/v1/cutover: the cutover gate's verdict as JSON (ready, missing, tables), given
  // what the proxy knows live. Blocks while it reads the clusters' state (a few seconds at most).
  virtual std::string cutover_json(const cutover_live& live) const = 0;
};

// A backfill run on a thread of its own inside the calling process (backfill/admin_job.hpp).
std::shared_ptr<control> make_control(const migration_settings& settings);

// `tandem backfill [--config FILE] [--worker-id ID] [--table ks.t]... [--keyspace ks]...`
int backfill_command(const std::vector<std::string>& args, const settings_loader& load);

// `tandem schema diff|apply [--config FILE]`
int schema_command(const std::vector<std::string>& args, const settings_loader& load);

// `tandem validate [--config FILE] [--table ks.t]... [--keyspace ks]... [--sample F] [--seed N]
//  [--repair] [--report FILE] [--worker-id ID] [--new-round] [--no-progress-bar]`
int validate_command(const std::vector<std::string>& args, const settings_loader& load);

// `tandem cutover check [--config FILE] [--json]`
int cutover_command(const std::vector<std::string>& args, const settings_loader& load);

}  // namespace tandem::backfill
