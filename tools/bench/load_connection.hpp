// One connection of the load generator: connect, handshake (STARTUP, optional SASL PLAIN,
// v5 segments after READY), PREPARE, then pipelined EXECUTEs with at most `in_flight`
// outstanding, either as fast as answers come back or at a fixed rate. One reader and one
// writer coroutine per connection on the thread's io_context (the Asio chat_server shape);
// everything a connection owns lives on that thread, so nothing here locks.
//
// Latency in fixed-rate runs is measured from when a request was *due*, not from when it went
// out: a server that stalls then delays the requests queued behind the stall, and those count
// (the coordinated-omission correction of wrk2 / HdrHistogram).
#pragma once

#include "tools/bench/frame_io.hpp"
#include "tools/bench/frame_socket.hpp"
#include "tools/bench/load_report.hpp"
#include "tools/bench/workload.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tandem::bench {

namespace asio = boost::asio;
using bench_clock = std::chrono::steady_clock;

struct load_settings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 9042;
  protocol::protocol_version version = protocol::protocol_version::v4;
  bool lz4 = false;
  std::string user;
  std::string password;
  table_name table;
  std::size_t in_flight = 32;
  double rate_per_connection = 0;  // requests/s; 0 = as fast as answers come
  std::uint64_t requests_per_connection = 0;  // 0 = until the end of the run
  double write_ratio = 1.0;
  std::size_t row_size = 100;
  std::uint64_t key_count = 1'000'000;
  protocol::consistency consistency = protocol::consistency::local_one;
  std::chrono::nanoseconds connect_timeout = std::chrono::seconds(10);
  std::chrono::nanoseconds drain_timeout = std::chrono::seconds(5);
};

class load_connection : public std::enable_shared_from_this<load_connection> {
 public:
  load_connection(asio::io_context& io, const load_settings& s, std::uint64_t seed);

  // Connects, authenticates and (when asked) prepares the workload. Returns "" or what failed.
  asio::awaitable<std::string> setup(bool prepare_statements);
  // Runs one statement (schema creation) after setup; returns "" or what failed.
  asio::awaitable<std::string> run_statement(std::string cql);

  // Starts sending. Requests due before measure_from are sent but not counted (warm-up);
  // none is sent after stop_at. The connection closes once every answer is in (or after the
  // drain timeout) and then calls on_finished.
  void start(bench_clock::time_point measure_from, bench_clock::time_point stop_at,
             std::function<void()> on_finished);
  void close();

  const load_counts& counts() const noexcept { return counts_; }
  const std::string& failure() const noexcept { return failure_; }
  bench_clock::time_point last_answer() const noexcept { return last_answer_; }

 private:
  struct slot {
    bench_clock::time_point due;
    bool write = false;
    bool counted = false;
  };
  struct answer {
    protocol::frame_header header;
    protocol::bytes body;
  };

  asio::awaitable<std::optional<answer>> request(protocol::opcode op, protocol::bytes body);
  asio::awaitable<std::string> handshake();
  asio::awaitable<std::optional<execute_template>> prepare(std::string cql, bool is_read);
  asio::awaitable<void> read_loop();
  asio::awaitable<void> write_loop();
  asio::awaitable<void> pace_loop();
  asio::awaitable<void> watchdog();
  void pump();
  void send_one(bench_clock::time_point due);
  void on_answer(const frame_in& f);
  void fail(const std::string& why);
  void maybe_finish();
  void finish();
  bool sending_over(bench_clock::time_point now) const noexcept;

  asio::io_context& io_;
  load_settings s_;
  frame_socket wire_;
  asio::steady_timer pace_timer_;
  asio::steady_timer watchdog_timer_;
  fast_random random_;
  std::optional<execute_template> insert_;
  std::optional<execute_template> select_;
  std::vector<slot> slots_;
  std::vector<std::int16_t> free_streams_;
  std::size_t in_flight_ = 0;
  std::size_t counted_in_flight_ = 0;
  bool finished_ = false;
  std::uint64_t sent_ = 0;
  bool running_ = false;
  bool closed_ = false;
  bench_clock::time_point measure_from_;
  bench_clock::time_point stop_at_;
  bench_clock::time_point start_;
  bench_clock::time_point sending_ended_ = bench_clock::time_point::max();
  bench_clock::time_point last_answer_;
  std::chrono::nanoseconds interval_{0};
  std::function<void()> on_finished_;
  load_counts counts_;
  std::string failure_;
};

}  // namespace tandem::bench
