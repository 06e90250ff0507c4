#include "tools/bench/load_connection.hpp"

#include "protocol/messages/error_message.hpp"
#include "protocol/messages/prepare.hpp"
#include "protocol/messages/query.hpp"
#include "protocol/messages/result.hpp"
#include "protocol/messages/startup.hpp"
#include "tools/bench/socket_options.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace tandem::bench {

using asio::as_tuple;
using asio::use_awaitable;
using protocol::opcode;

namespace {

std::string error_text(protocol::bytes_view body, protocol::protocol_version v) {
  auto e = protocol::decode_error(body, v);
  return e ? std::string(protocol::error_code_name(e->code)) + ": " + e->message
           : std::string("an unreadable ERROR");
}

}  // namespace

load_connection::load_connection(asio::io_context& io, const load_settings& s, std::uint64_t seed)
    : io_(io),
      s_(s),
      wire_(asio::ip::tcp::socket(io)),
      pace_timer_(io),
      watchdog_timer_(io),
      random_(seed) {}

void load_connection::fail(const std::string& why) {
  if (failure_.empty() && !closed_) {
    failure_ = why;
  }
  if (counted_in_flight_ > 0) {
    counts_.errors[lost_with_connection] += counted_in_flight_;
    counted_in_flight_ = 0;
  }
  in_flight_ = 0;
  finish();
}

void load_connection::close() {
  if (closed_) {
    return;
  }
  closed_ = true;
  wire_.close();
  pace_timer_.cancel();
  watchdog_timer_.cancel();
}

void load_connection::finish() {
  close();
  if (running_ && !finished_) {
    finished_ = true;
    if (on_finished_) {
      on_finished_();
    }
  }
}

asio::awaitable<std::optional<load_connection::answer>> load_connection::request(
    opcode op, protocol::bytes body) {
  const protocol::frame_header h{s_.version, false, 0, 0, op, 0};
  wire_.sink().append(h, body);
  const auto wec = co_await wire_.write_queued();
  if (wec) {
    fail("write failed: " + wec.message());
    co_return std::nullopt;
  }
  for (;;) {
    auto next = wire_.reader().next();
    if (!next) {
      fail("undecodable answer: " + next.error().message());
      co_return std::nullopt;
    }
    if (*next) {
      const frame_in& f = **next;
      if (f.header.stream != 0) {
        continue;  // an event (stream -1): nothing asked for it during setup
      }
      auto plain = wire_.reader().plain_body(f);
      if (!plain) {
        fail("undecodable answer body: " + plain.error().message());
        co_return std::nullopt;
      }
      co_return answer{f.header, protocol::bytes(plain->begin(), plain->end())};
    }
    const auto got = co_await wire_.read_some();
    if (got.error) {
      fail("connection lost during setup: " + got.error.message());
      co_return std::nullopt;
    }
  }
}

asio::awaitable<std::string> load_connection::handshake() {
  const auto v = s_.version;
  const bool v5 = v == protocol::protocol_version::v5;
  protocol::startup_message startup;
  startup.options["CQL_VERSION"] = "3.0.0";
  startup.options["DRIVER_NAME"] = "tandem-loadgen";
  if (s_.lz4) {
    startup.options["COMPRESSION"] = "lz4";
    if (!v5) {
      // spec v4 §5: every frame after STARTUP may be compressed, the answer to it included.
      wire_.reader().set_compression(protocol::compression_algorithm::lz4);
      wire_.sink().set_compression(protocol::compression_algorithm::lz4);
    }
  }
  // Named, not a temporary in the co_await expression: GCC 12 destroys those twice.
  protocol::bytes startup_body = protocol::encode_startup(startup, v);
  auto a = co_await request(opcode::startup, std::move(startup_body));
  if (!a) {
    co_return failure_;
  }
  if (a->header.op == opcode::error) {
    co_return "STARTUP refused: " + error_text(a->body, v);
  }
  if (a->header.op != opcode::ready && a->header.op != opcode::authenticate) {
    co_return std::string("unexpected answer to STARTUP: ") + protocol::opcode_name(a->header.op);
  }
  if (v5) {
    // spec v5 §2.3.1: segments from the first frame after READY / AUTHENTICATE, both ways.
    wire_.reader().begin_segments(s_.lz4);
    wire_.sink().begin_segments(s_.lz4);
  }
  if (a->header.op == opcode::ready) {
    co_return std::string{};
  }
  if (s_.user.empty()) {
    co_return std::string("the server asks for authentication: give --user and --password");
  }
  protocol::bytes auth_body = plain_auth_response(s_.user, s_.password);
  auto auth = co_await request(opcode::auth_response, std::move(auth_body));
  if (!auth) {
    co_return failure_;
  }
  if (auth->header.op != opcode::auth_success) {
    co_return "authentication failed: " + (auth->header.op == opcode::error
                                               ? error_text(auth->body, v)
                                               : std::string(protocol::opcode_name(auth->header.op)));
  }
  co_return std::string{};
}

asio::awaitable<std::optional<execute_template>> load_connection::prepare(std::string cql,
                                                                         bool is_read) {
  protocol::prepare_message p;
  p.query = cql;
  protocol::bytes prepare_body = protocol::encode_prepare(p, s_.version);
  auto a = co_await request(opcode::prepare, std::move(prepare_body));
  if (!a) {
    co_return std::nullopt;
  }
  if (a->header.op != opcode::result) {
    failure_ = "PREPARE " + cql + ": " +
               (a->header.op == opcode::error ? error_text(a->body, s_.version)
                                              : std::string(protocol::opcode_name(a->header.op)));
    co_return std::nullopt;
  }
  auto decoded = protocol::decode_result(a->body, s_.version);
  if (!decoded || !std::holds_alternative<protocol::prepared_result>(*decoded)) {
    failure_ = "PREPARE " + cql + ": not a Prepared result" +
               (decoded ? std::string() : " (" + decoded.error().message() + ")");
    co_return std::nullopt;
  }
  auto& pr = std::get<protocol::prepared_result>(*decoded);
  std::vector<protocol::bytes> extra;
  if (!is_read) {
    protocol::bytes row(s_.row_size);
    for (auto& b : row) {
      b = static_cast<std::byte>(random_.next() & 0xFF);
    }
    extra.push_back(std::move(row));
  }
  std::optional<protocol::bytes> rmid;
  if (s_.version == protocol::protocol_version::v5) {
    rmid = pr.result_metadata_id;
  }
  co_return execute_template(s_.version, pr.id, rmid, s_.consistency, is_read, extra);
}

asio::awaitable<std::string> load_connection::setup(bool prepare_statements) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(s_.host, ec);
  if (ec) {
    co_return "not an IP address: " + s_.host;
  }
  auto self = shared_from_this();
  asio::steady_timer deadline(io_);
  deadline.expires_after(s_.connect_timeout);
  deadline.async_wait([self](boost::system::error_code wec) {
    if (!wec) {
      boost::system::error_code ignored;
      self->wire_.socket().cancel(ignored);
    }
  });
  const asio::ip::tcp::endpoint ep(address, s_.port);
  auto [cec] = co_await wire_.socket().async_connect(ep, as_tuple(use_awaitable));
  deadline.cancel();
  if (cec) {
    co_return "connect to " + s_.host + ":" + std::to_string(s_.port) + ": " + cec.message();
  }
  set_no_delay(wire_.socket());
  auto err = co_await handshake();
  if (!err.empty() || !prepare_statements) {
    co_return err;
  }
  if (s_.write_ratio > 0) {
    std::string insert_cql = insert_statement(s_.table);
    insert_ = co_await prepare(std::move(insert_cql), false);
    if (!insert_) {
      co_return failure_;
    }
  }
  if (s_.write_ratio < 1) {
    std::string select_cql = select_statement(s_.table);
    select_ = co_await prepare(std::move(select_cql), true);
    if (!select_) {
      co_return failure_;
    }
  }
  co_return std::string{};
}

asio::awaitable<std::string> load_connection::run_statement(std::string cql) {
  protocol::query_message q;
  q.query = cql;
  q.params.consistency_level = protocol::consistency::one;
  protocol::bytes query_body = protocol::encode_query(q, s_.version);
  auto a = co_await request(opcode::query, std::move(query_body));
  if (!a) {
    co_return failure_;
  }
  if (a->header.op == opcode::error) {
    co_return cql + ": " + error_text(a->body, s_.version);
  }
  co_return std::string{};
}

void load_connection::start(bench_clock::time_point measure_from, bench_clock::time_point stop_at,
                            std::function<void()> on_finished) {
  measure_from_ = measure_from;
  stop_at_ = stop_at;
  on_finished_ = std::move(on_finished);
  running_ = true;
  start_ = bench_clock::now();
  last_answer_ = start_;
  if (s_.rate_per_connection > 0) {
    interval_ = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / s_.rate_per_connection));
  }
  slots_.assign(s_.in_flight, slot{});
  free_streams_.clear();
  for (std::size_t i = s_.in_flight; i > 0; --i) {
    free_streams_.push_back(static_cast<std::int16_t>(i - 1));
  }
  auto self = shared_from_this();
  asio::co_spawn(io_, [self] { return self->read_loop(); }, asio::detached);
  asio::co_spawn(io_, [self] { return self->write_loop(); }, asio::detached);
  asio::co_spawn(io_, [self] { return self->watchdog(); }, asio::detached);
  if (interval_.count() > 0) {
    asio::co_spawn(io_, [self] { return self->pace_loop(); }, asio::detached);
  }
  pump();
}

bool load_connection::sending_over(bench_clock::time_point now) const noexcept {
  return now >= stop_at_ || (s_.requests_per_connection != 0 && sent_ >= s_.requests_per_connection);
}

void load_connection::send_one(bench_clock::time_point due) {
  const std::int16_t id = free_streams_.back();
  free_streams_.pop_back();
  const bool write = s_.write_ratio >= 1.0 || (s_.write_ratio > 0 && random_.unit() < s_.write_ratio);
  const auto key = static_cast<std::int64_t>(random_.below(s_.key_count));
  execute_template& t = write ? *insert_ : *select_;
  wire_.sink().append(protocol::frame_header{s_.version, false, 0, id, opcode::execute, 0},
                      t.with_key(key));
  const bool counted = due >= measure_from_;
  slots_[static_cast<std::size_t>(id)] = slot{due, write, counted};
  ++in_flight_;
  counted_in_flight_ += counted ? 1 : 0;
  ++sent_;
}

void load_connection::pump() {
  if (!running_ || closed_) {
    return;
  }
  const auto now = bench_clock::now();
  while (in_flight_ < s_.in_flight && !sending_over(now)) {
    auto due = now;
    if (interval_.count() > 0) {
      due = start_ + interval_ * static_cast<std::int64_t>(sent_);
      if (due > now) {
        break;
      }
    }
    send_one(due);
  }
  if (sending_ended_ == bench_clock::time_point::max() && sending_over(now)) {
    sending_ended_ = now;
  }
  if (!wire_.sink().empty()) {
    wire_.wake_writer();
  }
  maybe_finish();
}

void load_connection::maybe_finish() {
  if (sending_ended_ != bench_clock::time_point::max() && in_flight_ == 0) {
    finish();
  }
}

void load_connection::on_answer(const frame_in& f) {
  const auto id = f.header.stream;
  if (id < 0 || static_cast<std::size_t>(id) >= slots_.size()) {
    return;  // an event, or an answer to nothing we sent
  }
  const slot s = slots_[static_cast<std::size_t>(id)];
  free_streams_.push_back(id);
  --in_flight_;
  const auto now = bench_clock::now();
  last_answer_ = now;
  if (!s.counted) {
    ++counts_.warmup_answers;
    return;
  }
  --counted_in_flight_;
  if (f.header.op == opcode::result) {
    counts_.latency.record(static_cast<std::uint64_t>((now - s.due).count()));
    ++(s.write ? counts_.writes : counts_.reads);
    return;
  }
  if (f.header.op == opcode::error) {
    auto body = wire_.reader().plain_body(f);
    ++counts_.errors[body ? error_code_in(*body) : unexpected_answer];
    return;
  }
  ++counts_.errors[unexpected_answer];
}

asio::awaitable<void> load_connection::read_loop() {
  auto self = shared_from_this();
  while (!closed_) {
    const auto got = co_await wire_.read_some();
    if (got.error) {
      if (!closed_) {
        fail("connection lost: " + got.error.message());
      }
      co_return;
    }
    for (;;) {
      auto next = wire_.reader().next();
      if (!next) {
        fail("undecodable answer: " + next.error().message());
        co_return;
      }
      if (!*next) {
        break;
      }
      on_answer(**next);
    }
    pump();
  }
}

asio::awaitable<void> load_connection::write_loop() {
  auto self = shared_from_this();
  while (!closed_) {
    if (wire_.sink().empty()) {
      co_await wire_.wait_for_frames();
      continue;
    }
    const auto ec = co_await wire_.write_queued();
    if (ec) {
      if (!closed_) {
        fail("write failed: " + ec.message());
      }
      co_return;
    }
  }
}

asio::awaitable<void> load_connection::pace_loop() {
  auto self = shared_from_this();
  while (!closed_) {
    const auto now = bench_clock::now();
    if (sending_over(now)) {
      pump();
      co_return;
    }
    auto wake = now + std::chrono::milliseconds(1);  // all slots busy: answers pump instead
    if (in_flight_ < s_.in_flight) {
      wake = start_ + interval_ * static_cast<std::int64_t>(sent_);
      if (wake <= now) {
        pump();
        continue;
      }
    }
    pace_timer_.expires_at(wake);
    co_await pace_timer_.async_wait(as_tuple(use_awaitable));
  }
}

// Ends the run on time: wakes at the stop time (a connection whose answers stopped coming
// would otherwise never notice), then gives outstanding requests the drain timeout.
asio::awaitable<void> load_connection::watchdog() {
  auto self = shared_from_this();
  while (!closed_) {
    const auto now = bench_clock::now();
    if (sending_ended_ == bench_clock::time_point::max()) {
      const auto wake = std::min(stop_at_, now + std::chrono::seconds(1));
      watchdog_timer_.expires_at(wake);
      co_await watchdog_timer_.async_wait(as_tuple(use_awaitable));
      pump();
      continue;
    }
    const auto give_up = sending_ended_ + s_.drain_timeout;
    if (now >= give_up) {
      if (counted_in_flight_ > 0) {
        counts_.errors[unanswered_at_end] += counted_in_flight_;
      }
      counted_in_flight_ = 0;
      in_flight_ = 0;
      finish();
      co_return;
    }
    watchdog_timer_.expires_at(give_up);
    co_await watchdog_timer_.async_wait(as_tuple(use_awaitable));
  }
}

}  // namespace tandem::bench
