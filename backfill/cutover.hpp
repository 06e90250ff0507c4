// The cutover gate (issue 6): reads may be flipped to the target only when every chosen table's
// backfill is complete, the last full validation of each is clean and recent
// (cutover.max_validation_age), no mirrored write has failed on the target since that
// validation began, no proxy's journal holds writes or dead letters, no write that could not be
// replayed (and no full-journal gap) came after that validation began, and both clusters answer. `decide` is pure and lists exactly what is
// missing; `gather` collects its inputs from the clusters' state tables.
#pragma once

#include "backfill/journal_facts.hpp"
#include "backfill/validation_store.hpp"
#include "backfill/settings.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace tandem::backfill {

struct cutover_inputs {
  std::int64_t now_us = 0;
  std::chrono::milliseconds max_validation_age{0};
  std::string backfill_job;
  std::string source_problem;  // empty: the source answers
  std::string target_problem;  // empty: the target answers
  std::int64_t last_target_write_failure_us = 0;  // 0: none known
  journal_facts journal;  // every proxy's journal, as recorded on the target and seen live
  // The latest validation of each table in journal.unreplayed that is not one of `tables`.
  std::map<std::string, table_validation> other_validations;
  struct table {
    std::string name;  // ks.table
    std::uint64_t units_total = 0;  // 0: never planned under backfill_job
    std::uint64_t units_done = 0;
    std::optional<table_validation> validation;
  };
  std::vector<table> tables;
  std::string problem;  // why the inputs could not be gathered (tables unknown)
};

struct cutover_verdict {
  bool ready = false;
  std::vector<std::string> missing;  // one line per unmet condition, naming table and fact
};

cutover_verdict decide(const cutover_inputs& in);
std::string verdict_json(const cutover_inputs& in, const cutover_verdict& v);

// What the proxy knows live (its health monitor and its failed target writes).
struct cutover_live {
  bool source_reachable = true;
  bool target_reachable = true;
  std::int64_t last_target_write_failure_us = 0;
  journal_facts journal;  // this proxy's journal, newer than what it recorded on the target
};

// Connects to the clusters (not to one the live view says is down), reads the tables chosen by
// backfill.keyspaces/tables, the backfill's units, the validation results and the recorded
// target write failures. Blocks for at most about `deadline`.
cutover_inputs gather(const migration_settings& cfg, const cutover_live& live,
                      std::chrono::milliseconds deadline);

}  // namespace tandem::backfill
