// The cutover gate's decision (backfill/cutover.hpp) as a table; against real clusters:
// tests/integration/test_validate.py.
#include "backfill/cutover.hpp"
#include "backfill/validate_job.hpp"

#include <gtest/gtest.h>

namespace tandem::backfill {
namespace {

constexpr std::int64_t hour_us = 3'600'000'000;

cutover_inputs ready_inputs() {
  cutover_inputs in;
  in.now_us = 100 * hour_us;
  in.max_validation_age = std::chrono::hours(24);
  in.backfill_job = "default";
  cutover_inputs::table t;
  t.name = "ks.t";
  t.units_total = 8;
  t.units_done = 8;
  table_validation v;
  v.round = 3;
  v.started_us = 99 * hour_us;
  v.finished_us = 99 * hour_us + 1000;
  v.sample = 1.0;
  t.validation = v;
  in.tables.push_back(t);
  return in;
}

TEST(CutoverGate, SaysExactlyWhatIsMissing) {
  struct tc {
    const char* what;
    std::function<void(cutover_inputs&)> change;
    std::vector<std::string> missing;
  };
  const std::vector<tc> cases = {
      {"everything done", [](cutover_inputs&) {}, {}},
      {"never backfilled", [](cutover_inputs& in) { in.tables[0].units_total = 0; in.tables[0].units_done = 0; },
       {"ks.t: not backfilled (no plan under backfill job 'default')"}},
      {"backfill half done", [](cutover_inputs& in) { in.tables[0].units_done = 4; },
       {"ks.t: backfill incomplete (4 of 8 units done)"}},
      {"never validated", [](cutover_inputs& in) { in.tables[0].validation.reset(); },
       {"ks.t: no finished full validation (run `tandem validate`)"}},
      {"differences left", [](cutover_inputs& in) { in.tables[0].validation->unresolved = 5; },
       {"ks.t: the last validation (round 3) left 5 differences (`tandem validate --repair`)"}},
      {"only a sample", [](cutover_inputs& in) { in.tables[0].validation->sample = 0.05; },
       {"ks.t: the last validation (round 3) was a sample; a full one is needed"}},
      {"too old", [](cutover_inputs& in) { in.now_us = 130 * hour_us; },
       {"ks.t: the last validation (round 3) finished 30 h ago (cutover.max_validation_age 24 h)"}},
      {"a target write failed after the validation began",
       [](cutover_inputs& in) { in.last_target_write_failure_us = 99 * hour_us + 5; },
       {"ks.t: a mirrored write failed on the target 59 min ago, after the last validation "
        "(round 3) began; validate again"}},
      {"a target write failed before it", [](cutover_inputs& in) { in.last_target_write_failure_us = 98 * hour_us; }, {}},
      {"target down", [](cutover_inputs& in) { in.target_problem = "the target is unreachable: refused"; },
       {"the target is unreachable: refused"}},
      {"a proxy's journal holds writes and dead letters",
       [](cutover_inputs& in) {
         in.journal.proxies["h1:9042"] = {12, 0};
         in.journal.proxies["h2:9042"] = {0, 2};
         in.journal.proxies["h3:9042"] = {0, 0};
       },
       {"the journal of proxy h1:9042 holds 12 writes that failed on the target and wait for replay",
        "the journal of proxy h2:9042 holds 2 writes the target refused (dead-letters.jsonl in "
        "its journal.dir)"}},
      {"a write was not replayed after the validation began",
       [](cutover_inputs& in) { in.journal.unreplayed["ks.t"] = 99 * hour_us + 10; },
       {"ks.t: a counter update, list append or LWT failed on the target 59 min ago and was not "
        "replayed; validate the table (tandem validate --repair --table ks.t)"}},
      {"a write was not replayed before the validation began",
       [](cutover_inputs& in) { in.journal.unreplayed["ks.t"] = 98 * hour_us; }, {}},
      {"a write was not replayed in a table the gate does not check, never validated",
       [](cutover_inputs& in) { in.journal.unreplayed["ks.other"] = 98 * hour_us; },
       {"ks.other: a counter update, list append or LWT failed on the target 2 h ago and was not "
        "replayed; validate the table (tandem validate --repair --table ks.other)"}},
      {"... and validated since",
       [](cutover_inputs& in) {
         in.journal.unreplayed["ks.other"] = 98 * hour_us;
         table_validation v;
         v.started_us = 98 * hour_us + 1;
         in.other_validations["ks.other"] = v;
       },
       {}},
      {"a full journal's gap after the validation began",
       [](cutover_inputs& in) { in.journal.gap_until_us = 99 * hour_us + 10; },
       {"a full journal could not keep writes until 59 min ago: every table needs a validation "
        "begun after that"}},
      {"a full journal's gap before it", [](cutover_inputs& in) { in.journal.gap_until_us = 98 * hour_us; }, {}},
  };
  for (const auto& c : cases) {
    auto in = ready_inputs();
    c.change(in);
    const auto v = decide(in);
    EXPECT_EQ(v.missing, c.missing) << c.what;
    EXPECT_EQ(v.ready, c.missing.empty()) << c.what;
  }
}

TEST(JournalFacts, AreRecordedAsChangedRowsAndReadBack) {
  journal_facts now;
  now.proxies["h1:9042"] = {3, 1};
  now.unreplayed["ks.t"] = 500;
  now.gap_until_us = 700;
  const auto all = journal_facts_cql("tandem", now, {});
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0], "UPDATE \"tandem\".migration_state SET value = 3, updated_at = toTimestamp(now()) "
                    "WHERE name = 'journal_pending:h1:9042'");
  EXPECT_EQ(all[2], "UPDATE \"tandem\".migration_state USING TIMESTAMP 700 SET value = 700, "
                    "updated_at = toTimestamp(now()) WHERE name = 'journal_gap'");
  EXPECT_TRUE(journal_facts_cql("tandem", now, now).empty());
  auto later = now;
  later.proxies["h1:9042"].pending = 0;
  const auto changed = journal_facts_cql("tandem", later, now);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_NE(changed[0].find("SET value = 0,"), std::string::npos);

  const auto read = facts_of_rows({{"journal_pending:h1:9042", 3},
                                   {"journal_dead_letters:h1:9042", 1},
                                   {"unreplayed:ks.t", 500},
                                   {"journal_gap", 700},
                                   {"t0", 42},
                                   {"last_target_write_failure", 9}});
  EXPECT_EQ(read, now);

  journal_facts live;
  live.proxies["h1:9042"] = {0, 0};
  live.unreplayed["ks.t"] = 400;  // older than the recorded mark: the newest stays
  live.unreplayed["ks.u"] = 800;
  auto merged = read;
  merged.merge(live);
  EXPECT_EQ(merged.proxies["h1:9042"].pending, 0);
  EXPECT_EQ(merged.unreplayed["ks.t"], 500);
  EXPECT_EQ(merged.unreplayed["ks.u"], 800);
  EXPECT_EQ(merged.gap_until_us, 700);
}

TEST(CutoverGate, IsNotReadyWithoutTables) {
  cutover_inputs in;
  EXPECT_FALSE(decide(in).ready);
}

TEST(ValidateSample, TakesTheSameShareOfUnitsForEveryWorker) {
  int taken = 0;
  for (std::uint32_t u = 0; u < 200; ++u) {
    const bool a = sampled(0.05, 42, "ks.t", u, 200);
    EXPECT_EQ(a, sampled(0.05, 42, "ks.t", u, 200));
    taken += a ? 1 : 0;
  }
  EXPECT_EQ(taken, 10);
  EXPECT_TRUE(sampled(1.0, 42, "ks.t", 7, 8));
  int at_least_one = 0;
  for (std::uint32_t u = 0; u < 4; ++u) at_least_one += sampled(0.01, 1, "ks.t", u, 4) ? 1 : 0;
  EXPECT_EQ(at_least_one, 1);
}

}  // namespace
}  // namespace tandem::backfill
