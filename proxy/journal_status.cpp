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
  o["failed"] = s.failed;
  o["oldest_pending_age_s"] =
      s.oldest_pending_us == 0 ? 0.0 : static_cast<double>(now - s.oldest_pending_us) / 1e6;
  o["segments"] = s.segments;
  o["replay_concurrency"] = ctx.journal_replay_limit.load();
  o["appended"] = c.appended.load();
  o["written"] = c.written.load();
  o["replayed"] = c.replayed.load();
  o["replay_backoffs"] = c.replay_backoffs.load();
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
  for (const auto& [t, at] : s.unsafe_tables) {
    unsafe.push_back(json::value(t));
  }
  o["tables_needing_validation"] = std::move(unsafe);
  o["gap_first_us"] = ctx.journal_gap_first_us.load();
  o["gap_last_us"] = ctx.journal_gap_last_us.load();
  return json::serialize(o);
}

backfill::journal_facts live_journal_facts(const proxy_context& ctx) {
  backfill::journal_facts f;
  if (!ctx.journal) {
    return f;
  }
  const auto s = ctx.journal->state();
  auto& mine = f.proxies[ctx.instance_name];
  // Writes in flight to the target are pending too, for a moment, under any live workload; the
  // gate waits for the ones that failed and wait for (or are in) replay.
  mine.pending = static_cast<std::int64_t>(s.failed);
  mine.dead_letters = static_cast<std::int64_t>(ctx.journal->counters().dead_lettered.load());
  f.unreplayed = s.unsafe_tables;
  f.gap_until_us = ctx.journal_gap_last_us.load();
  return f;
}

}  // namespace tandem::proxy
