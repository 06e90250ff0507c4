// What the backfill, the validation and the cutover gate are configured with: their own
// sections (backfill, validate, cutover: keys declared here, beside the structs) and the two
// clusters'. The proxy's configuration (proxy/config.hpp) is these and the proxy's own
// sections, so the proxy hands its configuration to the backfill it embeds as it is.
#pragma once

#include "client/cluster_settings.hpp"
#include "client/settings_values.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tandem::backfill {

// The backfill (tandem backfill, and the admin port's /api/v1/backfill): what to copy and how
// gently (issue 5, DESIGN.md "The backfill").
struct backfill_settings {
  std::vector<std::string> keyspaces;  // empty: every keyspace but the system ones and the state one
  std::vector<std::string> tables;     // "ks.table"; empty: every table of `keyspaces`
  std::string job = "default";         // the name the plan and checkpoints are kept under
  std::uint64_t unit_size = 64ull << 20;  // estimated bytes per work unit (system.size_estimates)
  std::uint32_t page_size = 1000;         // rows per source page
  std::string read_consistency = "LOCAL_QUORUM";
  std::string write_consistency = "LOCAL_QUORUM";
  std::uint32_t max_concurrency = 32;     // write requests in flight, the AIMD ceiling
  // false: max_concurrency writes in flight all along (for measuring the fixed-concurrency
  // curve, tools/bench/backfill_concurrency.py); push-back still paces and retries.
  bool adaptive_concurrency = true;
  std::uint32_t batch_statements = 16;    // statements of one partition per UNLOGGED BATCH
  // Writes in flight to one partition (issue 15, data skew): a partition far larger than the
  // rest is copied at this concurrency, so its replicas are not the target's hot spot while
  // the other workers' units keep moving.
  std::uint32_t max_partition_concurrency = 4;
  std::uint64_t max_rows_per_second = 0;  // 0: no ceiling
  std::uint64_t max_bytes_per_second = 0; // 0: no ceiling
  std::chrono::milliseconds lease{30'000};  // a unit's claim expires this long after its last renewal
  std::uint32_t workers = 4;                // units copied at the same time by one process

  friend bool operator==(const backfill_settings&, const backfill_settings&) = default;
};

// The validation (tandem validate) and the cutover gate (tandem cutover check, GET
// /api/v1/cutover): issue 6, DESIGN.md "Validation".
struct validate_settings {
  std::string job = "default";              // the name rounds and results are kept under
  std::uint32_t workers = 4;                // units validated at the same time by one process
  std::uint32_t page_size = 1000;           // rows per page, on each cluster
  std::string consistency = "LOCAL_QUORUM"; // reads on both clusters and the repair's writes
  std::uint32_t min_units = 32;             // a table is split into at least this many units
  std::chrono::milliseconds recheck_delay{2'000};  // a difference is read again after this long
  std::chrono::seconds ttl_slack{10};       // TTLs differ only beyond the scan's age plus this
  std::string report_dir = ".";             // where the JSON-lines reports are written

  friend bool operator==(const validate_settings&, const validate_settings&) = default;
};

struct cutover_settings {
  // The last clean validation of every table must be at most this old.
  std::chrono::milliseconds max_validation_age{24ll * 3600 * 1000};

  friend bool operator==(const cutover_settings&, const cutover_settings&) = default;
};

// Everything `tandem backfill`, `schema`, `validate` and `cutover` read.
struct migration_settings {
  client::cluster_settings source = client::with_contact_point<client::cluster_settings>("127.0.0.2");
  client::target_settings target = client::with_contact_point<client::target_settings>("127.0.0.3");
  backfill_settings backfill;
  validate_settings validate;
  cutover_settings cutover;

  friend bool operator==(const migration_settings&, const migration_settings&) = default;
};

// Loads the settings from a configuration file ("" for the defaults) and the environment;
// throws client::config_error. The executable passes the proxy's loader (proxy/config.hpp),
// which knows every section of the file, so an unknown key is refused the same way everywhere.
using settings_loader = std::function<migration_settings(const std::string& path)>;

client::key_list<backfill_settings> backfill_keys();
client::key_list<validate_settings> validate_keys();
client::key_list<cutover_settings> cutover_keys();

}  // namespace tandem::backfill
