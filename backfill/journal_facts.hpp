// What the proxies' journals tell the cutover gate (issue 14), kept on the target so that
// `tandem cutover check` and every proxy's /api/v1/cutover see the journals of all proxies.
// Rows of <state_keyspace>.migration_state (name text PRIMARY KEY, value bigint):
//   'journal_pending:<proxy>'       writes that failed on the target and that proxy's journal
//                                   holds for replay (not the ones merely in flight)
//   'journal_dead_letters:<proxy>'  writes the target refused for good (that proxy's dead letters)
//   'journal_gap'                   end (µs) of the latest window a full journal could not keep
//   'unreplayed:<ks.table>'         latest time (µs) a counter update, list append or LWT that
//                                   failed on the target was left unreplayed in that table
// A proxy is named by host and listen port, so a restarted proxy updates its own rows. Times are
// written USING TIMESTAMP the time itself: whichever proxy writes last, the newest time stays.
#pragma once

#include "client/cql_client.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tandem::backfill {

namespace asio = boost::asio;

struct journal_facts {
  struct proxy_state {
    std::int64_t pending = 0;
    std::int64_t dead_letters = 0;
    friend bool operator==(const proxy_state&, const proxy_state&) = default;
  };
  std::map<std::string, proxy_state> proxies;    // by proxy name
  std::int64_t gap_until_us = 0;                 // 0: no gap
  std::map<std::string, std::int64_t> unreplayed;  // "ks.table" -> µs

  // `live` (one proxy's own view, newer than what it recorded) on top of these facts.
  void merge(const journal_facts& live);

  friend bool operator==(const journal_facts&, const journal_facts&) = default;
};

// The facts in migration_state rows (name, value); other rows are ignored.
journal_facts facts_of_rows(const std::vector<std::pair<std::string, std::int64_t>>& rows);

// The statements that bring the recorded rows from `recorded` to `now` (none when equal).
std::vector<std::string> journal_facts_cql(const std::string& state_keyspace,
                                           const journal_facts& now,
                                           const journal_facts& recorded);

asio::awaitable<client::outcome<journal_facts>> read_journal_facts(client::cql_client& target,
                                                                   std::string state_keyspace);

}  // namespace tandem::backfill
