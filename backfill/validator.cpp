#include "backfill/validator.hpp"

#include "backfill/cell_values.hpp"
#include "backfill/range_merge.hpp"
#include "backfill/repair_statements.hpp"
#include "backfill/value_json.hpp"
#include "client/write_clock.hpp"

#include <boost/asio/as_tuple.hpp>
#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

namespace tandem::backfill {
namespace {

using asio::as_tuple;
using asio::use_awaitable;
using clock = std::chrono::steady_clock;

constexpr int max_attempts = 10;

asio::awaitable<void> sleep_for(clock::duration d) {
  if (d <= clock::duration::zero()) {
    co_return;
  }
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(as_tuple(use_awaitable));
}

// A statement asked again while the cluster pushes back (Overloaded, timeouts, a lost
// connection: cql_error::is_retryable): the unit's reads and its repair writes. Every repair
// write carries its own USING TIMESTAMP, so writing it twice leaves the same cells.
asio::awaitable<client::outcome<client::page>> execute_retrying(
    client::cql_client& c, client::statement s, protocol::consistency cl,
    std::int32_t page_size = 0, std::optional<protocol::bytes> paging = {}) {
  client::outcome<client::page> r;
  for (int attempt = 1;; ++attempt) {
    r = co_await c.execute(s, cl, page_size, paging);
    if (r || !r.error.is_retryable() || attempt >= max_attempts) {
      co_return r;
    }
    co_await sleep_for(std::chrono::milliseconds(100 * attempt));
  }
}

std::int32_t seconds_since(clock::time_point start) {
  return static_cast<std::int32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(clock::now() - start).count());
}

boost::json::object side_json(const select_layout& l, const std::optional<protocol::result_row>& row,
                              const select_layout::value_column* c) {
  boost::json::object o;
  if (!row) {
    o["present"] = false;
    return o;
  }
  o["present"] = true;
  if (c == nullptr) {
    return o;
  }
  const auto& r = *row;
  o["value"] = value_json(c->column->type, r[c->value]);
  if (c->writetime && r[c->value]) {
    const auto wt = read_long(r[*c->writetime]);
    o["writetime"] = wt ? boost::json::value(*wt) : boost::json::value(nullptr);
    const auto ttl = read_int(r[*c->ttl]);
    o["ttl"] = ttl ? boost::json::value(*ttl) : boost::json::value(nullptr);
  }
  (void)l;
  return o;
}

}  // namespace

std::vector<cell_difference> differences_of(const select_layout& l,
                                            const std::optional<protocol::result_row>& source,
                                            const std::optional<protocol::result_row>& target,
                                            bool statics, std::int32_t ttl_tolerance) {
  if (source && target) {
    return compare_rows(l, *source, *target, statics, ttl_tolerance);
  }
  if (source) {
    return {cell_difference{nullptr, difference_kind::missing_on_target}};
  }
  if (target) {
    return {cell_difference{nullptr, difference_kind::extra_on_target}};
  }
  return {};
}

asio::awaitable<client::outcome<client::page>> unit_validator::read(client::cql_client& c, const std::string& cql,
                                                    std::vector<protocol::value> values,
                                                    std::optional<protocol::bytes> paging) {
  const auto& v = shared_.cfg.validate;
  // Named, not temporaries in the co_await expression (GCC 12 destroys those twice).
  client::statement s{cql, std::move(values)};
  auto p = co_await execute_retrying(c, std::move(s), client::consistency_named(v.consistency),
                                     static_cast<std::int32_t>(v.page_size), paging);
  co_return p;
}

asio::awaitable<unit_validator::fresh_rows> unit_validator::read_again(
    const table_def& t, const select_layout& l, const protocol::result_row& key_row) {
  fresh_rows out;
  const bool static_only = is_static_only(l, key_row);
  const std::string cql = row_select(t, static_only);
  const auto keys = key_values(l, key_row, static_only);
  const auto one = [&](const client::outcome<client::page>& p) -> std::optional<protocol::result_row> {
    if (!p || p.value->rows.rows.empty()) {
      return std::nullopt;
    }
    const auto& row = p.value->rows.rows.front();
    if (static_only && !is_static_only(l, row)) {
      return std::nullopt;  // the partition has rows now: no static-only row
    }
    return row;
  };
  out.read_us = client::write_clock::system_now_us();
  auto s = co_await read(*source_, cql, keys, std::nullopt);
  auto d = co_await read(*target_, cql, keys, std::nullopt);
  if (!s || !d) {
    out.error = !s ? "reading the source again: " + s.error.message
                   : "reading the target again: " + d.error.message;
    co_return out;
  }
  out.source = one(s);
  out.target = one(d);
  co_return out;
}

asio::awaitable<std::string> unit_validator::repair(const table_def& t, const select_layout& l,
                                                    const fresh_rows& rows,
                                                    const std::vector<cell_difference>& diffs,
                                                    bool statics) {
  const auto cl = client::consistency_named(shared_.cfg.validate.consistency);
  const std::int64_t now = client::write_clock::system_now_us();
  std::vector<client::statement> on_target;
  std::vector<client::statement> on_both;
  std::string refused;
  if (t.is_counter_table() && rows.source) {
    // Counters take no timestamp: add the difference (as the backfill does).
    std::optional<protocol::result_row> counters;
    if (rows.target) {
      protocol::result_row c;
      for (const auto& v : l.values) {
        if (v.column->counter) c.push_back((*rows.target)[v.value]);
      }
      counters = std::move(c);
    }
    if (auto s = counter_delta(t, l, *rows.source, counters)) on_target.push_back(std::move(*s));
  } else if (rows.source && !rows.target) {
    on_target = writes_for_row(t, l, *rows.source, true, shared_.undated,
                               list_timestamp_at(shared_.undated + 1, now));
  } else if (!rows.source && rows.target) {
    // Deleted at the newest writetime the row shows: a newer write survives. A row without
    // any dated cell (a key-only row) at the time it was read again, after which a write
    // through the proxy would have reached the source too.
    const auto newest = newest_writetime(l, *rows.target, is_static_only(l, *rows.target));
    on_target.push_back(delete_row(t, l, *rows.target, newest.value_or(now)));
  } else if (rows.source && rows.target) {
    bool rewrite = false;
    for (const auto& d : diffs) {
      const auto* c = d.column;
      if (c == nullptr) continue;
      const auto& s = *rows.source;
      const auto& g = *rows.target;
      if (!c->writetime) {
        if (!s[c->value] && g[c->value]) {
          on_target.push_back(delete_cell(t, l, *c, g, now));
        } else {
          rewrite = true;
        }
        continue;
      }
      const auto s_wt = read_long(s[*c->writetime]);
      const auto g_wt = read_long(g[*c->writetime]);
      if (!s[c->value]) {
        on_target.push_back(delete_cell(t, l, *c, g, g_wt.value_or(now)));
      } else if (!g[c->value] || !g_wt || (s_wt && *g_wt < *s_wt)) {
        rewrite = true;
      } else if (*g_wt + 1 < now - 1'000'000) {
        // The target's cell is as new as the source's or newer: re-stamp on both.
        on_both.push_back(write_cell(t, l, *c, s, *g_wt + 1, read_int(s[*c->ttl]).value_or(0)));
      } else {
        refused = "the target's " + c->column->name + " was written less than a second ago";
      }
    }
    if (rewrite) {
      auto writes = writes_for_row(t, l, *rows.source, statics, shared_.undated,
                                   list_timestamp_at(shared_.undated + 1, now));
      for (auto& w : writes) on_target.push_back(std::move(w));
    }
  }
  if (auto failed = co_await write_both(std::move(on_both)); !failed.empty()) {
    co_return failed;
  }
  for (auto& s : on_target) {
    if (auto r = co_await execute_retrying(*target_, s, cl); !r) {
      co_return "writing to the target: " + r.error.message;
    }
  }
  co_return refused;
}

asio::awaitable<std::string> unit_validator::write_both(std::vector<client::statement> statements) {
  const auto cl = client::consistency_named(shared_.cfg.validate.consistency);
  for (auto& s : statements) {
    if (auto r = co_await execute_retrying(*source_, s, cl); !r) {
      co_return "re-stamping on the source: " + r.error.message;
    }
    if (auto r = co_await execute_retrying(*target_, s, cl); !r) {
      co_return "re-stamping on the target: " + r.error.message;
    }
  }
  co_return std::string();
}

void unit_validator::report(const table_def& t, const select_layout& l, const fresh_rows& rows,
                            const std::vector<cell_difference>& diffs,
                            const std::string& resolution) {
  if (shared_.report == nullptr) {
    return;
  }
  const auto& key_row = rows.source ? *rows.source : *rows.target;
  boost::json::object key;
  for (std::size_t i = 0; i < l.key_columns && i < key_row.size(); ++i) {
    key[t.columns[i].name] = value_json(t.columns[i].type, key_row[i]);
  }
  for (const auto& d : diffs) {
    boost::json::object line;
    line["table"] = t.keyspace + "." + t.name;
    line["round"] = shared_.round;
    line["key"] = key;
    line["class"] = name_of(d.kind);
    line["column"] = d.column ? boost::json::value(d.column->column->name) : boost::json::value(nullptr);
    line["source"] = side_json(l, rows.source, d.column);
    line["target"] = side_json(l, rows.target, d.column);
    line["resolution"] = resolution;
    const std::string text = boost::json::serialize(line) + "\n";
    std::fwrite(text.data(), 1, text.size(), shared_.report);
  }
  std::fflush(shared_.report);
}

asio::awaitable<unit_validator::settled> unit_validator::settle(const table_def& t,
                                                                const select_layout& l,
                                                                const candidate& c,
                                                                table_tally& tally) {
  const auto tolerance = static_cast<std::int32_t>(shared_.cfg.validate.ttl_slack.count()) + 1;
  auto rows = co_await read_again(t, l, c.key_row);
  if (!rows.error.empty()) {
    co_return settled{rows.error, false};
  }
  auto diffs = differences_of(l, rows.source, rows.target, c.first_of_partition, tolerance);
  if (diffs.empty()) {
    ++tally.converged;
    co_return settled{};
  }
  for (const auto& d : diffs) {
    ++tally.confirmed[d.kind];
  }
  if (!shared_.repair) {
    ++tally.unresolved;
    report(t, l, rows, diffs, "reported");
    co_return settled{{}, true};
  }
  auto refused = co_await repair(t, l, rows, diffs, c.first_of_partition);
  // A repaired key is validated again.
  auto after = co_await read_again(t, l, c.key_row);
  auto left = differences_of(l, after.source, after.target, c.first_of_partition, tolerance);
  const bool hidden = after.error.empty() && after.source && !t.is_counter_table() &&
                      std::any_of(left.begin(), left.end(), [&](const cell_difference& d) {
                        return d.kind == difference_kind::missing_on_target ||
                               (d.column && (*after.source)[d.column->value] && after.target &&
                                !(*after.target)[d.column->value]);
                      });
  if (hidden && refused.empty()) {
    // Still absent on the target after the source's cells were written with their own
    // writetimes: a newer tombstone there hides them. Re-stamp the row on both clusters.
    refused = co_await write_both(restamp_row(t, l, *after.source, after.read_us));
    after = co_await read_again(t, l, c.key_row);
    left = differences_of(l, after.source, after.target, c.first_of_partition, tolerance);
  }
  const bool equal = after.error.empty() && left.empty();
  if (equal) {
    ++tally.repaired;
    report(t, l, rows, diffs, "repaired");
    co_return settled{};
  }
  ++tally.unresolved;
  report(t, l, rows, diffs, "not repaired" + (refused.empty() ? std::string() : ": " + refused));
  co_return settled{{}, true};
}

asio::awaitable<unit_result> unit_validator::run(const table_def& t, unit_state u,
                                                 std::shared_ptr<client::cql_client> source) {
  source_ = std::move(source);  // units run one after another: the unit's reads and repairs
  unit_result out;
  const auto l = layout_of(t);
  const std::string select = validation_select(t);
  const std::string name = t.keyspace + "." + t.name;
  auto& tally = shared_.tallies[name];
  const auto started = clock::now();
  auto last_renewal = started;
  range_merge merge(l);
  std::optional<protocol::bytes> source_paging;
  std::optional<protocol::bytes> target_paging;
  std::vector<candidate> candidates;
  auto last_found = started;
  std::int64_t rows = 0;
  while (!merge.finished()) {
    while (shared_.paused != nullptr && shared_.paused->load()) {
      co_await sleep_for(std::chrono::milliseconds(200));
    }
    const auto need = merge.needs();
    if (need == range_merge::side::none) {
      out.error = name + " unit " + std::to_string(u.unit) + ": the merge stalled";
      co_return out;
    }
    const bool from_source = need == range_merge::side::source;
    auto& paging = from_source ? source_paging : target_paging;
    std::vector<protocol::value> bounds{long_value(u.range.start), long_value(u.range.end)};
    client::cql_client& side = from_source ? *source_ : *target_;
    auto p = co_await read(side, select, std::move(bounds), paging);
    if (!p) {
      out.error = "reading " + name + " from the " + (from_source ? "source" : "target") + ": " +
                  p.error.message;
      co_return out;
    }
    paging = p.value->paging_state;
    const bool last = !paging;
    if (from_source) {
      merge.add_source(std::move(p.value->rows.rows), last);
    } else {
      merge.add_target(std::move(p.value->rows.rows), last);
    }
    const auto tolerance = seconds_since(started) +
                           static_cast<std::int32_t>(shared_.cfg.validate.ttl_slack.count());
    for (auto& m : merge.take()) {
      ++rows;
      ++tally.rows;
      ++shared_.rows;
      if (differences_of(l, m.source, m.target, m.first_of_partition, tolerance).empty()) {
        continue;
      }
      ++tally.found;
      last_found = clock::now();
      candidates.push_back({m.source ? std::move(*m.source) : std::move(*m.target), m.first_of_partition});
    }
    // Renew the claim well before the lease lapses (another worker would take the unit over).
    const auto renew_every = std::min<clock::duration>(std::chrono::seconds(5), shared_.cfg.backfill.lease / 3);
    if (clock::now() - last_renewal > renew_every) {
      last_renewal = clock::now();
      unit_state renew = u;
      renew.paging_state.reset();
      auto kept = co_await store_.checkpoint(renew, owner_, shared_.cfg.backfill.lease);
      if (kept && !*kept.value) {
        out.lost_lease = true;
        co_return out;
      }
    }
  }
  // Differences are read again once the writes in flight during the scan have landed.
  std::int64_t unresolved = 0;
  if (!candidates.empty()) {
    co_await sleep_for(last_found + shared_.cfg.validate.recheck_delay - clock::now());
  }
  for (const auto& c : candidates) {
    auto r = co_await settle(t, l, c, tally);
    if (!r.error.empty()) {
      out.error = name + " unit " + std::to_string(u.unit) + ": " + r.error;
      co_return out;
    }
    unresolved += r.unresolved ? 1 : 0;
  }
  u.rows_copied = rows;
  u.bytes_copied = unresolved;  // validation units: the differences left
  auto finished = co_await finish_unit(store_, u, owner_);
  co_return finished;
}

}  // namespace tandem::backfill
