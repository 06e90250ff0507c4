// tandem-loadgen: a CQL load generator on top of protocol/ (issue 7). N connections, pipelined
// prepared INSERTs and SELECTs, a fixed rate or as fast as answers come, protocol v4 or v5,
// lz4 on or off; ops/s, errors by code and latency percentiles as a table or JSON.
#include "tools/bench/command_line.hpp"
#include "tools/bench/load_connection.hpp"
#include "tools/bench/tool_main.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>

namespace tandem::bench {
namespace {

std::vector<option_spec> loadgen_options() {
  return {
      {"target", "127.0.0.1:9042", "host:port of the CQL server (an IP address)"},
      {"connections", "4", "connections in total"},
      {"in-flight", "32", "requests outstanding per connection (1..32768)"},
      {"rate", "0", "requests/s in total; 0 = as fast as answers come back"},
      {"duration", "10s", "measured run time; 0 = until --requests are answered"},
      {"requests", "0", "requests in total; 0 = until --duration ends"},
      {"warmup", "0s", "run this long before measuring"},
      {"idle", "0s", "hold the connections open and idle this long before the load begins"},
      {"write-ratio", "1", "share of writes (prepared INSERT); the rest are SELECTs by key"},
      {"row-size", "100", "bytes in the blob column of each written row"},
      {"keys", "1000000", "keys are drawn uniformly from 0 .. keys-1"},
      {"keyspace", "tandem_bench", "keyspace of the workload's table"},
      {"table", "kv", "the workload's table: k bigint PRIMARY KEY, v blob"},
      {"create-schema", "", "create the keyspace and table first (IF NOT EXISTS)", true},
      {"schema-only", "", "with --create-schema: create it and exit without load", true},
      {"drop-schema", "", "drop the workload's keyspace (IF EXISTS) and exit without load", true},
      {"protocol", "4", "native protocol version: 4 or 5 (5: segments after READY)"},
      {"lz4", "", "lz4 compression (v4: frame bodies; v5: segments)", true},
      {"consistency", "LOCAL_ONE", "ONE, LOCAL_ONE, QUORUM, LOCAL_QUORUM or ALL"},
      {"user", "", "user for SASL PLAIN (PasswordAuthenticator)"},
      {"password", "", "password of --user"},
      {"threads", "1", "threads, each with its own event loop and share of the connections"},
      {"json", "", "print the result as one JSON object instead of a table", true},
  };
}

protocol::consistency parse_consistency(const std::string& name) {
  static const std::pair<const char*, protocol::consistency> names[] = {
      {"ONE", protocol::consistency::one},       {"LOCAL_ONE", protocol::consistency::local_one},
      {"QUORUM", protocol::consistency::quorum}, {"LOCAL_QUORUM", protocol::consistency::local_quorum},
      {"ALL", protocol::consistency::all},       {"ANY", protocol::consistency::any},
  };
  for (const auto& [n, c] : names) {
    if (name == n) {
      return c;
    }
  }
  throw usage_error("--consistency: unknown level " + name);
}

// Everything one thread runs: its io_context and its share of the connections.
struct load_thread {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  std::vector<std::shared_ptr<load_connection>> connections;
  std::vector<std::string> setup_errors;  // one per connection, "" when it is ready
  std::size_t running = 0;
  std::thread thread;
};

// Runs statements one after the other on one connection; "" or the first failure.
std::string run_statements(const load_settings& s, std::vector<std::string> statements) {
  asio::io_context io{1};
  auto conn = std::make_shared<load_connection>(io, s, 1);
  std::string error;
  asio::co_spawn(
      io,
      [conn, statements, &error]() -> asio::awaitable<void> {
        error = co_await conn->setup(false);
        for (const auto& cql : statements) {
          if (!error.empty()) {
            break;
          }
          error = co_await conn->run_statement(cql);
        }
        conn->close();
      },
      asio::detached);
  io.run();
  return error;
}

int run(const command_line& cl) {
  load_settings s;
  std::tie(s.host, s.port) = parse_host_port(cl.text("target"), "--target");
  const auto version = cl.unsigned_number("protocol");
  if (version != 4 && version != 5) {
    throw usage_error("--protocol must be 4 or 5");
  }
  s.version = static_cast<protocol::protocol_version>(version);
  s.lz4 = cl.flag("lz4");
  s.user = cl.text("user");
  s.password = cl.text("password");
  s.table = table_name{cl.text("keyspace"), cl.text("table")};
  s.in_flight = cl.unsigned_number("in-flight");
  if (s.in_flight == 0 || s.in_flight > 32768) {
    throw usage_error("--in-flight must be 1..32768 (spec v4 §2.3: 32768 streams)");
  }
  s.write_ratio = cl.number("write-ratio");
  if (s.write_ratio > 1) {
    throw usage_error("--write-ratio must be 0..1");
  }
  s.row_size = cl.unsigned_number("row-size");
  s.key_count = std::max<std::uint64_t>(1, cl.unsigned_number("keys"));
  s.consistency = parse_consistency(cl.text("consistency"));
  const auto connections = cl.unsigned_number("connections");
  const auto threads = std::max<std::uint64_t>(1, std::min(cl.unsigned_number("threads"), connections));
  const double rate = cl.number("rate");
  const auto duration = cl.duration("duration");
  const auto requests = cl.unsigned_number("requests");
  if (connections == 0) {
    throw usage_error("--connections must be at least 1");
  }
  if (cl.flag("drop-schema")) {
    if (auto err = run_statements(s, {"DROP KEYSPACE IF EXISTS " + s.table.keyspace}); !err.empty()) {
      std::cerr << "tandem-loadgen: dropping the keyspace: " << err << "\n";
      return 1;
    }
    return 0;
  }
  if (cl.flag("create-schema")) {
    if (auto err = run_statements(s, schema_statements(s.table)); !err.empty()) {
      std::cerr << "tandem-loadgen: creating the schema: " << err << "\n";
      return 1;
    }
    if (cl.flag("schema-only")) {
      return 0;
    }
  }
  if (duration.count() == 0 && requests == 0) {
    throw usage_error("give --duration or --requests");
  }
  if (requests != 0 && requests < connections) {
    throw usage_error("--requests must be at least --connections (each connection sends its share)");
  }
  s.rate_per_connection = rate / static_cast<double>(connections);

  std::vector<std::unique_ptr<load_thread>> pool;
  for (std::uint64_t t = 0; t < threads; ++t) {
    pool.push_back(std::make_unique<load_thread>());
  }
  std::atomic<std::uint64_t> set_up{0};
  for (std::uint64_t i = 0; i < connections; ++i) {
    auto& t = *pool[i % threads];
    load_settings cs = s;
    if (requests != 0) {
      cs.requests_per_connection = requests / connections + (i < requests % connections ? 1 : 0);
    }
    const std::size_t index = t.connections.size();
    auto conn = std::make_shared<load_connection>(t.io, cs, 0x5EED0000 + i);
    t.connections.push_back(conn);
    t.setup_errors.emplace_back();
    asio::co_spawn(
        t.io,
        [conn, &t, index, &set_up]() -> asio::awaitable<void> {
          t.setup_errors[index] = co_await conn->setup(true);
          if (t.setup_errors[index].empty() && !conn->failure().empty()) {
            t.setup_errors[index] = conn->failure();
          }
          set_up.fetch_add(1);
        },
        asio::detached);
  }
  for (auto& t : pool) {
    t->thread = std::thread([&io = t->io] { io.run(); });
  }
  while (set_up.load() < connections) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::uint64_t failed = 0;
  std::string first_failure;
  for (auto& t : pool) {
    for (const auto& e : t->setup_errors) {
      if (!e.empty()) {
        ++failed;
        first_failure = first_failure.empty() ? e : first_failure;
      }
    }
  }
  std::cerr << "tandem-loadgen: " << connections - failed << " connections ready" << std::endl;
  if (const auto idle = cl.duration("idle"); idle.count() > 0 && failed < connections) {
    std::this_thread::sleep_for(idle);
  }

  const auto now = bench_clock::now();
  const auto measure_from = now + cl.duration("warmup");
  const auto stop_at = duration.count() > 0 ? measure_from + duration : bench_clock::time_point::max();
  for (auto& tp : pool) {
    load_thread* t = tp.get();
    asio::post(t->io, [t, measure_from, stop_at] {
      for (std::size_t i = 0; i < t->connections.size(); ++i) {
        auto& conn = t->connections[i];
        if (!t->setup_errors[i].empty()) {
          conn->close();
          continue;
        }
        ++t->running;
        conn->start(measure_from, stop_at, [t] {
          if (--t->running == 0) {
            t->guard.reset();
          }
        });
      }
      if (t->running == 0) {
        t->guard.reset();
      }
    });
  }
  for (auto& t : pool) {
    t->thread.join();
  }

  load_summary sum;
  sum.target = cl.text("target");
  sum.protocol_version = static_cast<int>(version);
  sum.lz4 = s.lz4;
  sum.connections = connections;
  sum.in_flight = s.in_flight;
  sum.rate = rate;
  sum.write_ratio = s.write_ratio;
  sum.row_size = s.row_size;
  sum.connections_failed = failed;
  auto last = measure_from;
  for (auto& t : pool) {
    for (auto& conn : t->connections) {
      sum.counts.merge(conn->counts());
      last = std::max(last, conn->last_answer());
      if (!conn->failure().empty() && first_failure.empty()) {
        first_failure = conn->failure();
      }
    }
  }
  sum.first_failure = first_failure;
  const auto window = duration.count() > 0 ? std::chrono::duration<double>(duration)
                                           : std::chrono::duration<double>(last - measure_from);
  sum.seconds = window.count();
  std::cout << (cl.flag("json") ? format_json(sum) + "\n" : format_table(sum)) << std::flush;
  return failed == connections || sum.ops() == 0 ? 1 : 0;
}

}  // namespace
}  // namespace tandem::bench

int main(int argc, char** argv) {
  using namespace tandem::bench;
  const tool_description loadgen{
      "tandem-loadgen", "Pipelined prepared INSERT/SELECT load over the CQL native protocol.",
      loadgen_options()};
  return tool_main(loadgen, argc, argv, run);
}
