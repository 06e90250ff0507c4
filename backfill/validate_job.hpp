// `tandem validate`: a validation round over the chosen tables (issue 6), planned and shared
// between workers like a backfill job (unit_runner), each unit validated by unit_validator; a
// summary table per table on stderr, one JSON line per difference in the report, the results
// kept for the cutover gate.
//
// Exit status: 0 every compared row is equal (or was repaired); 1 differences remain; 2 bad
// usage or configuration; 3 the validation could not run to its end (a cluster unreachable, a
// table missing, ...).
#pragma once

#include "backfill/job.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace tandem::backfill {

struct validate_options {
  std::string worker_id;
  std::vector<std::string> tables;     // --table ks.t (default: backfill.tables)
  std::vector<std::string> keyspaces;  // --keyspace ks (default: backfill.keyspaces)
  double sample = 1.0;                 // --sample: the share of each table's units validated
  std::int64_t seed = 0;               // --seed: which units a sample takes (0: from the clock)
  bool repair = false;                 // --repair
  bool new_round = false;              // --new-round: do not resume an unfinished round
  std::string report_path;             // --report (default: <report_dir>/tandem-validation-...)
  bool progress_bar = true;
};

// Which units of `units` a sample of `share` takes for a table: a deterministic choice from
// the seed and the table's name, at least one unit.
bool sampled(double share, std::int64_t seed, const std::string& table, std::uint32_t unit,
             std::uint32_t units);

int run_validate(const migration_settings& cfg, const validate_options& options);


}  // namespace tandem::backfill
