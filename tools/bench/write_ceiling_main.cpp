// tandem-write-ceiling (issue 16, done-means 1): the target's own best write rate for the rows
// the backfill copies. It reads a table's rows from the source once, into memory, builds the
// same statements the backfill writes (backfill/table_model: every cell with its writetime and
// TTL), then writes them all to the target again and again, TRUNCATE before each run, at each
// concurrency of --concurrency and each batch size of --batch (1: one EXECUTE per row's
// statement; N: unlogged BATCHes of up to N statements of one partition, as the backfill
// groups them). Nothing is read while it writes, so what it prints is the ceiling the backfill
// is measured against: rows/s and requests/s per run, and the best run last.
#include "backfill/cell_values.hpp"
#include "backfill/schema.hpp"
#include "backfill/table_model.hpp"
#include "client/cql_client.hpp"
#include "client/write_clock.hpp"
#include "tools/bench/tool_main.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdio>
#include <limits>
#include <memory>
#include <set>
#include <sstream>

namespace tandem::bench {
namespace {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;
using batch_statements = std::vector<client::statement>;

std::vector<option_spec> ceiling_options() {
  return {
      {"source", "127.0.0.2", "a source node (IP address) to read the rows from"},
      {"target", "127.0.0.3", "a target node (IP address) to write them to; its table is truncated"},
      {"port", "9042", "CQL port of both"},
      {"table", "tandem_bf.users", "keyspace.table, the same on both clusters"},
      {"concurrency", "1,2,4,8,16,32,64,128,256", "writes in flight, one run per value"},
      {"batch", "1,16", "statements per request (1: EXECUTE; N: BATCH of one partition)"},
      {"consistency", "LOCAL_QUORUM", "of the writes (the backfill's default)"},
  };
}

std::vector<unsigned> numbers(const std::string& list, const std::string& option) {
  std::vector<unsigned> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      const unsigned long v = std::stoul(item);
      if (v == 0 || v > 4096) {
        throw std::out_of_range(item);
      }
      out.push_back(static_cast<unsigned>(v));
    } catch (const std::exception&) {
      throw usage_error("--" + option + ": '" + item + "' is not a number from 1 to 4096");
    }
  }
  if (out.empty()) {
    throw usage_error("--" + option + ": no value");
  }
  return out;
}

struct table_rows {
  backfill::table_def table;
  std::vector<protocol::result_row> rows;
};

asio::awaitable<client::outcome<table_rows>> read_table(client::cql_client& source,
                                                        const std::string& ks,
                                                        const std::string& name) {
  client::outcome<table_rows> out;
  std::set<std::string> keyspaces;  // (not a braced list: GCC 12 miscompiles those in co_await)
  keyspaces.insert(ks);
  auto schema = co_await backfill::read_schema(source, keyspaces, "tandem");
  if (!schema) {
    out.error = schema.error;
    co_return out;
  }
  const auto it = schema.value->tables.find({ks, name});
  if (it == schema.value->tables.end()) {
    out.error.message = "no table " + ks + "." + name + " on the source";
    co_return out;
  }
  if (it->second.is_counter_table()) {
    out.error.message = ks + "." + name + " is a counter table: counters are written by delta, "
                        "after a read of the target, and have no write-only ceiling";
    co_return out;
  }
  table_rows got;
  got.table = it->second;
  const std::string select = backfill::copy_select(got.table);
  std::optional<protocol::bytes> paging;
  do {
    client::statement s;
    s.cql = select;
    s.values.push_back(backfill::long_value(std::numeric_limits<std::int64_t>::min()));
    s.values.push_back(backfill::long_value(std::numeric_limits<std::int64_t>::max()));
    auto p = co_await source.execute(std::move(s), protocol::consistency::one, 5000, paging);
    if (!p) {
      out.error = p.error;
      co_return out;
    }
    for (auto& r : p.value->rows.rows) {
      got.rows.push_back(std::move(r));
    }
    paging = p.value->paging_state;
  } while (paging);
  out.value = std::move(got);
  co_return out;
}

// The backfill's requests for these rows, with at most `per_request` statements of one
// partition in each.
std::vector<batch_statements> requests_for(const table_rows& t, unsigned per_request) {
  const auto layout = backfill::layout_of(t.table);
  const auto now = client::write_clock::system_now_us();
  std::vector<batch_statements> out;
  batch_statements current;
  std::string last_partition;
  for (const auto& row : t.rows) {
    const std::string partition = backfill::partition_of(layout, row);
    const bool first_of_partition = partition != last_partition;
    if (first_of_partition && !current.empty()) {
      out.push_back(std::move(current));
      current = {};
    }
    last_partition = partition;
    for (auto& w : backfill::writes_for_row(t.table, layout, row, first_of_partition, now - 1,
                                            backfill::list_timestamp_at(now, now))) {
      current.push_back(std::move(w));
      if (current.size() >= per_request) {
        out.push_back(std::move(current));
        current = {};
      }
    }
  }
  if (!current.empty()) {
    out.push_back(std::move(current));
  }
  return out;
}

struct run_result {
  double seconds = 0;
  std::uint64_t retries = 0;
  std::string failure;
};

asio::awaitable<run_result> write_all(client::cql_client& target,
                                      const std::vector<batch_statements>& requests,
                                      unsigned concurrency, protocol::consistency cl) {
  run_result out;
  std::size_t next = 0;
  unsigned running = concurrency;
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer all_done(ex, asio::steady_timer::time_point::max());
  const auto begin = clock_type::now();
  for (unsigned i = 0; i < concurrency; ++i) {
    asio::co_spawn(ex, [&]() -> asio::awaitable<void> {
      while (next < requests.size() && out.failure.empty()) {
        const auto& r = requests[next++];
        for (;;) {
          client::cql_error error;
          if (r.size() == 1) {
            auto done = co_await target.execute(r.front(), cl);
            if (done) break;
            error = done.error;
          } else {
            auto done = co_await target.batch(r, cl);
            if (done) break;
            error = done.error;
          }
          if (!error.is_retryable()) {
            out.failure = error.message;
            break;
          }
          ++out.retries;
          asio::steady_timer pause(ex, std::chrono::milliseconds(20));
          co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
        }
      }
      if (--running == 0) {
        all_done.cancel();
      }
    }, asio::detached);
  }
  co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
  out.seconds = std::chrono::duration<double>(clock_type::now() - begin).count();
  co_return out;
}

asio::awaitable<int> measure(const command_line& cmd) {
  auto ex = co_await asio::this_coro::executor;
  const std::string qualified = cmd.text("table");
  const auto dot = qualified.find('.');
  if (dot == std::string::npos) {
    throw usage_error("--table: '" + qualified + "' is not keyspace.table");
  }
  const auto concurrencies = numbers(cmd.text("concurrency"), "concurrency");
  const auto batches = numbers(cmd.text("batch"), "batch");
  const auto cl = client::consistency_named(cmd.text("consistency"));
  client::cluster_settings settings;
  settings.port = static_cast<std::uint16_t>(cmd.unsigned_number("port"));
  settings.request_timeout = std::chrono::seconds(30);
  std::vector<std::string> source_node(1, cmd.text("source"));
  std::vector<std::string> target_node(1, cmd.text("target"));
  auto source = co_await client::cql_client::open(ex, settings, nullptr, "source", source_node);
  auto target = co_await client::cql_client::open(ex, settings, nullptr, "target", target_node);
  if (!source || !target) {
    std::fprintf(stderr, "tandem-write-ceiling: %s\n",
                 (!source ? source.error : target.error).message.c_str());
    co_return 1;
  }
  const auto read_began = clock_type::now();
  auto rows = co_await read_table(**source.value, qualified.substr(0, dot), qualified.substr(dot + 1));
  const double read_seconds = std::chrono::duration<double>(clock_type::now() - read_began).count();
  if (!rows) {
    std::fprintf(stderr, "tandem-write-ceiling: reading %s: %s\n", qualified.c_str(),
                 rows.error.message.c_str());
    co_return 1;
  }
  const double n = static_cast<double>(rows.value->rows.size());
  if (!rows) {
    std::fprintf(stderr, "tandem-write-ceiling: reading %s: %s\n", qualified.c_str(),
                 rows.error.message.c_str());
    co_return 1;
  }
  // The read side alone, for comparison: one paged SELECT of the whole ring, as the backfill
  // reads a unit (its WRITETIME and TTL selectors), one page at a time.
  std::printf("%s: %zu rows read from the source in %.2f s (%.0f rows/s, one page at a time)\n",
              qualified.c_str(), rows.value->rows.size(), read_seconds, n / read_seconds);
  double best = 0;
  std::string best_run;
  std::vector<std::pair<unsigned, unsigned>> runs;  // (batch, concurrency); the first unmeasured
  runs.emplace_back(batches.back(), concurrencies.back());  // warms the target up (JIT, caches)
  for (const unsigned b : batches) {
    for (const unsigned c : concurrencies) {
      runs.emplace_back(b, c);
    }
  }
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto [b, c] = runs[i];
    const auto requests = requests_for(*rows.value, b);
    {
      client::statement truncate;
      truncate.cql = "TRUNCATE " + qualified;
      auto truncated = co_await (*target.value)->execute(std::move(truncate), cl);
      if (!truncated) {
        std::fprintf(stderr, "tandem-write-ceiling: TRUNCATE %s: %s\n", qualified.c_str(),
                     truncated.error.message.c_str());
        co_return 1;
      }
      const auto r = co_await write_all(**target.value, requests, c, cl);
      if (!r.failure.empty()) {
        std::fprintf(stderr, "tandem-write-ceiling: writing %s: %s\n", qualified.c_str(), r.failure.c_str());
        co_return 1;
      }
      if (i == 0) {
        continue;
      }
      const double rate = n / r.seconds;
      char line[200];
      std::snprintf(line, sizeof line, "batch %u concurrency %u: %.0f rows/s, %.0f requests/s, %llu retries",
                    b, c, rate, static_cast<double>(requests.size()) / r.seconds,
                    static_cast<unsigned long long>(r.retries));
      std::printf("%s\n", line);
      std::fflush(stdout);
      if (rate > best) {
        best = rate;
        best_run = line;
      }
    }
  }
  std::printf("ceiling: %s\n", best_run.c_str());
  co_return 0;
}

}  // namespace
}  // namespace tandem::bench

int main(int argc, char** argv) {
  using namespace tandem::bench;
  const tool_description tool{"tandem-write-ceiling",
                              "the target's best write rate for a table's rows, as the backfill writes them",
                              ceiling_options()};
  return tool_main(tool, argc, argv, [](const command_line& cmd) {
    boost::asio::io_context io;
    int status = 1;
    std::exception_ptr failed;
    boost::asio::co_spawn(io, measure(cmd), [&](std::exception_ptr e, int s) {
      failed = e;
      status = s;
      io.stop();  // the clients' connections (read loops, heartbeats) would keep it running
    });
    io.run();
    if (failed) {
      std::rethrow_exception(failed);
    }
    return status;
  });
}
