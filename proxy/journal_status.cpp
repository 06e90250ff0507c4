#include "proxy/journal_status.hpp"

#include <boost/json.hpp>

namespace tandem::proxy {

namespace json = boost::json;

std::string journal_json(const proxy_context& ctx) {
  json::object o;
  if (!ctx.journal) {
    o["state"] = "off";
    o["pending"] = 0;
    return json::serialize(o);
  }
  const auto s = ctx.journal->state();
  auto& c = ctx.journal->counters();
  const auto now = client::write_clock::system_now_us();
  o["state"] = "on";
  o["dir"] = ctx.cfg.journal.dir;
  o["pending"] = s.pending_records;
  o["pending_bytes"] = s.pending_bytes;
  o["replay_queue"] = s.replay_queue;
  o["oldest_pending_age_s"] =
      s.oldest_pending_us == 0 ? 0.0 : static_cast<double>(now - s.oldest_pending_us) / 1e6;
  o["segments"] = s.segments;
  o["replay_concurrency"] = ctx.journal_replay_limit.load();
  o["appended"] = c.appended.load();
  o["written"] = c.written.load();
  o["replayed"] = c.replayed.load();
  o["recovered"] = c.recovered.load();
  o["torn_dropped"] = c.torn_dropped.load();
  o["refused_full"] = c.refused_full.load();
  o["disk_errors"] = c.disk_errors.load();
  o["dead_lettered"] = c.dead_lettered.load();
  json::array dead;
  for (const auto& line : s.dead_letters) {
    boost::system::error_code ec;
    dead.push_back(json::parse(line, ec));
  }
  o["dead_letters"] = std::move(dead);
  json::array unsafe;
  for (const auto& t : s.unsafe_tables) {
    unsafe.push_back(json::value(t));
  }
  o["tables_needing_validation"] = std::move(unsafe);
  o["gap_first_us"] = ctx.journal_gap_first_us.load();
  o["gap_last_us"] = ctx.journal_gap_last_us.load();
  return json::serialize(o);
}

std::string with_journal_facts(const proxy_context& ctx, const std::string& gate_json) {
  if (!ctx.journal) {
    return gate_json;
  }
  boost::system::error_code ec;
  json::value v = json::parse(gate_json, ec);
  if (ec || !v.is_object()) {
    return gate_json;
  }
  auto& o = v.as_object();
  json::array missing = o.contains("missing") && o["missing"].is_array() ? o["missing"].as_array()
                                                                          : json::array{};
  const auto s = ctx.journal->state();
  if (s.pending_records > 0) {
    missing.push_back(json::value("the journal of this proxy holds " +
                                  std::to_string(s.pending_records) +
                                  " writes the target has not confirmed yet"));
  }
  const auto dead = ctx.journal->counters().dead_lettered.load();
  if (dead > 0) {
    missing.push_back(json::value(std::to_string(dead) +
                                  " journaled writes were refused by the target (dead letters in " +
                                  ctx.cfg.journal.dir + "/dead-letters.jsonl)"));
  }
  for (const auto& t : s.unsafe_tables) {
    missing.push_back(json::value(t + ": a counter update or LWT failed on the target and was not "
                                      "replayed; validate the table (tandem validate --repair)"));
  }
  if (ctx.journal_gap_first_us.load() != 0) {
    missing.push_back(json::value("the full journal could not keep writes between " +
                                  std::to_string(ctx.journal_gap_first_us.load()) + " and " +
                                  std::to_string(ctx.journal_gap_last_us.load()) +
                                  " (µs since the epoch): a validation that started after it is "
                                  "needed"));
  }
  o["ready"] = o.contains("ready") && o["ready"].is_bool() && o["ready"].as_bool() && missing.empty();
  o["missing"] = std::move(missing);
  return json::serialize(v);
}

}  // namespace tandem::proxy
