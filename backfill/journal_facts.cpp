#include "backfill/journal_facts.hpp"

#include "backfill/cell_values.hpp"
#include "backfill/table_model.hpp"
#include "client/own_connection.hpp"

namespace tandem::backfill {
namespace {

constexpr std::string_view pending_prefix = "journal_pending:";
constexpr std::string_view dead_prefix = "journal_dead_letters:";
constexpr std::string_view unreplayed_prefix = "unreplayed:";
constexpr std::string_view gap_name = "journal_gap";

std::string set_value(const std::string& ks, const std::string& name, std::int64_t value,
                      bool timestamped) {
  return "UPDATE " + quote(ks) + ".migration_state" +
         (timestamped ? " USING TIMESTAMP " + std::to_string(value) : std::string()) +
         " SET value = " + std::to_string(value) +
         ", updated_at = toTimestamp(now()) WHERE name = " + client::cql_string_literal(name);
}

}  // namespace

void journal_facts::merge(const journal_facts& live) {
  for (const auto& [name, state] : live.proxies) {
    proxies[name] = state;
  }
  gap_until_us = std::max(gap_until_us, live.gap_until_us);
  for (const auto& [table, at] : live.unreplayed) {
    auto& mine = unreplayed[table];
    mine = std::max(mine, at);
  }
}

journal_facts facts_of_rows(const std::vector<std::pair<std::string, std::int64_t>>& rows) {
  journal_facts f;
  for (const auto& [name, value] : rows) {
    const std::string_view n = name;
    if (n.starts_with(pending_prefix)) {
      f.proxies[name.substr(pending_prefix.size())].pending = value;
    } else if (n.starts_with(dead_prefix)) {
      f.proxies[name.substr(dead_prefix.size())].dead_letters = value;
    } else if (n.starts_with(unreplayed_prefix)) {
      f.unreplayed[name.substr(unreplayed_prefix.size())] = value;
    } else if (n == gap_name) {
      f.gap_until_us = value;
    }
  }
  return f;
}

std::vector<std::string> journal_facts_cql(const std::string& ks, const journal_facts& now,
                                           const journal_facts& recorded) {
  std::vector<std::string> out;
  for (const auto& [proxy, state] : now.proxies) {
    const auto was = recorded.proxies.find(proxy);
    const bool known = was != recorded.proxies.end();
    if (!known || was->second.pending != state.pending) {
      out.push_back(set_value(ks, std::string(pending_prefix) + proxy, state.pending, false));
    }
    if (!known || was->second.dead_letters != state.dead_letters) {
      out.push_back(set_value(ks, std::string(dead_prefix) + proxy, state.dead_letters, false));
    }
  }
  if (now.gap_until_us > recorded.gap_until_us) {
    out.push_back(set_value(ks, std::string(gap_name), now.gap_until_us, true));
  }
  for (const auto& [table, at] : now.unreplayed) {
    const auto was = recorded.unreplayed.find(table);
    if (was == recorded.unreplayed.end() || was->second < at) {
      out.push_back(set_value(ks, std::string(unreplayed_prefix) + table, at, true));
    }
  }
  return out;
}

asio::awaitable<client::outcome<journal_facts>> read_journal_facts(client::cql_client& target,
                                                                   std::string state_keyspace) {
  client::outcome<journal_facts> out;
  // A few rows per proxy and per marked table: the whole (small) table is read.
  client::statement s{"SELECT name, value FROM " + quote(state_keyspace) + ".migration_state", {}};
  auto r = co_await target.execute(std::move(s), protocol::consistency::local_quorum);
  if (client::failed(out, r)) {
    co_return out;
  }
  std::vector<std::pair<std::string, std::int64_t>> rows;
  for (const auto& row : r.value->rows.rows) {
    if (row.size() == 2 && row[0] && row[1]) {
      rows.emplace_back(read_text(row[0]), read_long(row[1]).value_or(0));
    }
  }
  out.value = facts_of_rows(rows);
  co_return out;
}

}  // namespace tandem::backfill
