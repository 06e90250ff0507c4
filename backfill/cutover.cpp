#include "backfill/control.hpp"
#include "backfill/command_usage.hpp"
#include "backfill/cutover.hpp"

#include "backfill/checkpoint_store.hpp"
#include "backfill/unit_runner.hpp"
#include "client/tls_context.hpp"
#include "client/write_clock.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <iostream>

namespace tandem::backfill {
namespace {

std::string age_text(std::int64_t us) {
  const auto s = us / 1'000'000;
  if (s < 120) return std::to_string(s) + " s";
  if (s < 7200) return std::to_string(s / 60) + " min";
  return std::to_string(s / 3600) + " h";
}

asio::awaitable<void> collect(const migration_settings& cfg, const cutover_live& live,
                              cutover_inputs& in) {
  auto ex = co_await asio::this_coro::executor;
  auto source_tls = client::make_cluster_tls(cfg.source.tls, "source");
  auto target_tls = client::make_cluster_tls(cfg.target.tls, "target");
  std::shared_ptr<client::cql_client> source;
  std::shared_ptr<client::cql_client> target;
  if (!live.source_reachable) {
    in.source_problem = "the proxy's health check cannot reach the source";
  } else {
    auto s = co_await client::cql_client::open(ex, cfg.source, source_tls, "source", cfg.source.contact_points);
    if (s) source = *s.value; else in.source_problem = "the source is unreachable: " + s.error.message;
  }
  if (!live.target_reachable) {
    in.target_problem = "the proxy's health check cannot reach the target";
  } else {
    auto t = co_await client::cql_client::open(ex, cfg.target, target_tls, "target", cfg.target.contact_points);
    if (t) target = *t.value; else in.target_problem = "the target is unreachable: " + t.error.message;
  }
  if (!source || !target) {
    in.problem = "the tables to check cannot be read while a cluster is unreachable";
    if (source) source->close();
    if (target) target->close();
    co_return;
  }
  job_progress progress;
  unit_run run{cfg, progress, "cutover-check", source_tls, target_tls, {}, {}};
  std::set<std::string> keyspaces(cfg.backfill.keyspaces.begin(), cfg.backfill.keyspaces.end());
  co_await select_tables(run, *source, *target, keyspaces, cfg.backfill.tables);
  if (!run.failures.empty()) {
    in.problem = run.failures.front();
  }
  checkpoint_store backfill(target, cfg.target.state_keyspace, cfg.backfill.job,
                            cfg.target.state_replication);
  validation_store validations(target, cfg.target.state_keyspace, cfg.validate.job);
  auto results = co_await validations.results();
  auto failure = co_await last_target_write_failure(*target, cfg.target.state_keyspace);
  if (failure) {
    in.last_target_write_failure_us = std::max(in.last_target_write_failure_us, *failure.value);
  }
  auto recorded = co_await read_journal_facts(*target, cfg.target.state_keyspace);
  if (recorded) {
    in.journal = std::move(*recorded.value);
  }
  in.journal.merge(live.journal);
  if (results) {
    for (const auto& r : *results.value) {
      const std::string name = r.keyspace + "." + r.table;
      if (in.journal.unreplayed.count(name)) in.other_validations[name] = r;
    }
  }
  for (const auto& w : run.work) {
    cutover_inputs::table t;
    t.name = w.table.keyspace + "." + w.table.name;
    auto units = co_await backfill.load(w.table.keyspace, w.table.name);
    if (units) {
      for (const auto& u : *units.value) {
        ++t.units_total;
        t.units_done += u.state == "done" ? 1 : 0;
      }
    }
    if (results) {
      for (const auto& r : *results.value) {
        if (r.keyspace == w.table.keyspace && r.table == w.table.name) t.validation = r;
      }
    }
    in.tables.push_back(std::move(t));
  }
  source->close();
  target->close();
}

}  // namespace

cutover_verdict decide(const cutover_inputs& in) {
  cutover_verdict v;
  if (!in.source_problem.empty()) v.missing.push_back(in.source_problem);
  if (!in.target_problem.empty()) v.missing.push_back(in.target_problem);
  if (!in.problem.empty()) v.missing.push_back(in.problem);
  if (in.tables.empty() && in.problem.empty()) {
    v.missing.push_back("no table is chosen (backfill.keyspaces / backfill.tables)");
  }
  for (const auto& [proxy, state] : in.journal.proxies) {
    if (state.pending > 0) {
      v.missing.push_back("the journal of proxy " + proxy + " holds " +
                          std::to_string(state.pending) +
                          " writes that failed on the target and wait for replay");
    }
    if (state.dead_letters > 0) {
      v.missing.push_back("the journal of proxy " + proxy + " holds " +
                          std::to_string(state.dead_letters) +
                          " writes the target refused (dead-letters.jsonl in its journal.dir)");
    }
  }
  // A table with a write that could not be replayed needs a validation that began after it.
  for (const auto& [name, at] : in.journal.unreplayed) {
    const table_validation* last = nullptr;
    for (const auto& t : in.tables) {
      if (t.name == name && t.validation) last = &*t.validation;
    }
    if (const auto it = in.other_validations.find(name); !last && it != in.other_validations.end()) {
      last = &it->second;
    }
    if (!last || last->started_us < at || last->unresolved > 0 || last->sample < 1.0) {
      v.missing.push_back(name + ": a counter update, list append or LWT failed on the target " +
                          age_text(in.now_us - at) +
                          " ago and was not replayed; validate the table "
                          "(tandem validate --repair --table " + name + ")");
    }
  }
  // Writes a full journal could not keep (journal.on_full: record_gap) may be missing in any
  // table: every table needs a validation that began after the gap.
  if (in.journal.gap_until_us > 0) {
    const bool covered = std::all_of(in.tables.begin(), in.tables.end(), [&](const auto& t) {
      return t.validation && t.validation->started_us > in.journal.gap_until_us;
    });
    if (!covered || in.tables.empty()) {
      v.missing.push_back("a full journal could not keep writes until " +
                          age_text(in.now_us - in.journal.gap_until_us) +
                          " ago: every table needs a validation begun after that");
    }
  }
  const auto max_age_us = std::chrono::duration_cast<std::chrono::microseconds>(in.max_validation_age).count();
  for (const auto& t : in.tables) {
    if (t.units_total == 0) {
      v.missing.push_back(t.name + ": not backfilled (no plan under backfill job '" +
                          in.backfill_job + "')");
    } else if (t.units_done < t.units_total) {
      v.missing.push_back(t.name + ": backfill incomplete (" + std::to_string(t.units_done) +
                          " of " + std::to_string(t.units_total) + " units done)");
    }
    if (!t.validation) {
      v.missing.push_back(t.name + ": no finished full validation (run `tandem validate`)");
      continue;
    }
    const auto& r = *t.validation;
    const std::string round = " (round " + std::to_string(r.round) + ")";
    if (r.unresolved > 0) {
      v.missing.push_back(t.name + ": the last validation" + round + " left " +
                          std::to_string(r.unresolved) + " differences (`tandem validate --repair`)");
    } else if (r.sample < 1.0) {
      v.missing.push_back(t.name + ": the last validation" + round + " was a sample; a full one is needed");
    }
    if (in.now_us - r.finished_us > max_age_us) {
      v.missing.push_back(t.name + ": the last validation" + round + " finished " +
                          age_text(in.now_us - r.finished_us) + " ago (cutover.max_validation_age " +
                          age_text(max_age_us) + ")");
    }
    if (in.last_target_write_failure_us > r.started_us) {
      v.missing.push_back(t.name + ": a mirrored write failed on the target " +
                          age_text(in.now_us - in.last_target_write_failure_us) +
                          " ago, after the last validation" + round + " began; validate again");
    }
  }
  v.ready = v.missing.empty();
  return v;
}

std::string verdict_json(const cutover_inputs& in, const cutover_verdict& v) {
  namespace json = boost::json;
  json::object o;
  o["ready"] = v.ready;
  json::array missing;
  for (const auto& m : v.missing) missing.emplace_back(m);
  o["missing"] = std::move(missing);
  json::array tables;
  for (const auto& t : in.tables) {
    json::object x;
    x["table"] = t.name;
    x["backfill_units_total"] = t.units_total;
    x["backfill_units_done"] = t.units_done;
    if (t.validation) {
      x["validation_round"] = t.validation->round;
      x["validation_finished_us"] = t.validation->finished_us;
      x["validation_sample"] = t.validation->sample;
      x["validation_rows"] = t.validation->rows_compared;
      x["validation_unresolved"] = t.validation->unresolved;
    } else {
      x["validation_round"] = nullptr;
    }
    tables.push_back(std::move(x));
  }
  o["tables"] = std::move(tables);
  o["last_target_write_failure_us"] = in.last_target_write_failure_us;
  json::object journals;
  for (const auto& [proxy, state] : in.journal.proxies) {
    journals[proxy] = json::object{{"pending", state.pending}, {"dead_letters", state.dead_letters}};
  }
  o["journals"] = std::move(journals);
  json::object unreplayed;
  for (const auto& [name, at] : in.journal.unreplayed) unreplayed[name] = at;
  o["unreplayed_us"] = std::move(unreplayed);
  o["journal_gap_until_us"] = in.journal.gap_until_us;
  o["source_ok"] = in.source_problem.empty();
  o["target_ok"] = in.target_problem.empty();
  return json::serialize(o);
}

cutover_inputs gather(const migration_settings& cfg, const cutover_live& live,
                      std::chrono::milliseconds deadline) {
  cutover_inputs in;
  in.now_us = client::write_clock::system_now_us();
  in.max_validation_age = cfg.cutover.max_validation_age;
  in.backfill_job = cfg.backfill.job;
  in.last_target_write_failure_us = live.last_target_write_failure_us;
  in.journal = live.journal;
  bool finished = false;
  {
    asio::io_context io{1};
    asio::co_spawn(io, collect(cfg, live, in), [&](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          in.problem = std::string("checking: ") + ex.what();
        }
      }
      finished = true;
      io.stop();
    });
    io.run_for(deadline);
  }
  if (!finished) {
    in.problem = "the clusters did not answer within " + std::to_string(deadline.count() / 1000) + " s";
  }
  return in;
}

int cutover_command(const std::vector<std::string>& args, const settings_loader& load) {
  std::string path;
  bool as_json = false;
  if (asks_for_help(args)) {
    std::cout << cutover_usage;
    return 0;
  }
  if (args.empty() || args[0] != "check") {
    if (!args.empty()) std::cerr << "tandem cutover: unknown action '" << args[0] << "'\n";
    std::cerr << cutover_usage;
    return 2;
  }
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      path = args[++i];
    } else if (args[i] == "--json") {
      as_json = true;
    } else {
      std::cerr << "tandem cutover: unknown option '" << args[i] << "'\n" << cutover_usage;
      return 2;
    }
  }
  try {
    const auto cfg = load(path);
    const auto in = gather(cfg, cutover_live{}, std::chrono::seconds(30));
    const auto v = decide(in);
    if (as_json) {
      std::cout << verdict_json(in, v) << "\n";
    } else if (v.ready) {
      std::cout << "cutover: READY: " << in.tables.size()
                << " tables backfilled and validated clean; no target write failed since\n";
    } else {
      std::cout << "cutover: NOT READY:\n";
      for (const auto& m : v.missing) std::cout << "  - " << m << "\n";
    }
    return v.ready ? 0 : 1;
  } catch (const client::config_error& e) {
    std::cerr << "tandem cutover: configuration error: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace tandem::backfill
