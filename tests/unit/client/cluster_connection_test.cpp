// One connection to a node, against an in-process fake node on loopback: the edge cases a real
// Cassandra node does not produce on demand (answers in reverse order, a node that stays
// silent, a late answer after its call timed out) — issue 17 replaced the timer per call with
// one timeout tick per connection and the answer's hand-over with a handler kept in the slot.
#include "client/cluster_connection.hpp"

#include "protocol/connection_codec.hpp"

#include "unit/test_hex.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace tandem::client {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

using test::text_bytes;

std::string text_of(const protocol::bytes& b) {
  std::string s;
  for (auto x : b) {
    s.push_back(static_cast<char>(x));
  }
  return s;
}

// A node that takes one connection, reads `expected` requests, and then answers them in the
// order `answer_order` gives (indexes into the requests read); each answer's body is its
// request's body, so a caller can tell whether it got its own answer.
struct fake_node {
  explicit fake_node(asio::io_context& io)
      : acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), socket(io) {}

  tcp::acceptor acceptor;
  tcp::socket socket;
  std::vector<protocol::owned_frame> requests;

  std::uint16_t port() const { return acceptor.local_endpoint().port(); }

  asio::awaitable<void> accept() { co_await acceptor.async_accept(socket, asio::use_awaitable); }

  asio::awaitable<void> read_requests(std::size_t expected) {
    protocol::connection_codec codec;
    std::array<std::byte, 4096> buf{};
    while (requests.size() < expected) {
      const auto n = co_await socket.async_read_some(asio::buffer(buf), asio::use_awaitable);
      codec.feed({buf.data(), n});
      while (auto f = codec.next()) {
        if (!*f) {
          break;
        }
        requests.push_back(std::move(**f));
      }
    }
  }

  asio::awaitable<void> answer(std::size_t index) {
    const auto& req = requests.at(index);
    protocol::connection_codec codec;
    const protocol::frame_header h{req.header.version, true, 0, req.header.stream,
                                   protocol::opcode::result, 0};
    const auto frame = codec.encode(h, req.body);
    co_await asio::async_write(socket, asio::buffer(frame), asio::use_awaitable);
  }
};

cluster_connection_settings settings_for(std::uint16_t port, std::chrono::milliseconds timeout) {
  cluster_connection_settings s;
  s.endpoint = {"127.0.0.1", port};
  s.name = "fake";
  s.request_timeout = timeout;
  s.heartbeat_interval = 1h;
  return s;
}

struct outcome {
  bool done = false;
  call_result result;
  std::chrono::steady_clock::duration waited{};
};

// Starts a call whose outcome lands in `out` once it finishes.
void start_call(asio::io_context& io, std::shared_ptr<cluster_connection> conn, std::string body,
                outcome& out) {
  asio::co_spawn(io, [conn, body, &out]() -> asio::awaitable<void> {
    const auto begin = std::chrono::steady_clock::now();
    out.result = co_await conn->call(protocol::opcode::query, text_bytes(body));
    out.waited = std::chrono::steady_clock::now() - begin;
    out.done = true;
  }, asio::detached);
}

template <class Pred>
void run_until(asio::io_context& io, Pred done) {
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (!done() && std::chrono::steady_clock::now() < give_up) {
    if (io.stopped()) {
      io.restart();  // it ran out of work earlier (everything waited on had finished)
    }
    io.run_one_for(50ms);
  }
  ASSERT_TRUE(done()) << "gave up after 10 s";
}

std::shared_ptr<cluster_connection> connected(asio::io_context& io, fake_node& node,
                                              const cluster_connection_settings& settings) {
  auto conn = std::make_shared<cluster_connection>(io.get_executor(), settings);
  bool accepted = false;
  std::string error = "not finished";
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { co_await node.accept(); accepted = true; },
                 asio::detached);
  asio::co_spawn(io, [&, conn]() -> asio::awaitable<void> { error = co_await conn->connect(); },
                 asio::detached);
  run_until(io, [&] { return accepted && error != "not finished"; });
  EXPECT_EQ(error, "");
  return conn;
}

std::shared_ptr<cluster_connection> connected(asio::io_context& io, fake_node& node,
                                              std::chrono::milliseconds timeout) {
  return connected(io, node, settings_for(node.port(), timeout));
}

TEST(ClusterConnection, EachCallerGetsItsOwnAnswerWhenTheNodeAnswersInReverseOrder) {
  asio::io_context io;
  fake_node node(io);
  auto conn = connected(io, node, 5000ms);
  std::array<outcome, 3> out;
  for (std::size_t i = 0; i < out.size(); ++i) {
    start_call(io, conn, "request " + std::to_string(i), out[i]);
  }
  bool answered = false;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    co_await node.read_requests(3);
    for (std::size_t i = 3; i-- > 0;) {
      co_await node.answer(i);
    }
    answered = true;
  }, asio::detached);
  run_until(io, [&] { return out[0].done && out[1].done && out[2].done; });
  ASSERT_TRUE(answered);
  for (std::size_t i = 0; i < out.size(); ++i) {
    ASSERT_TRUE(out[i].result.ok()) << out[i].result.detail;
    EXPECT_EQ(text_of(out[i].result.frame.body), "request " + std::to_string(i));
    EXPECT_GT(out[i].result.latency.count(), 0);
    EXPECT_LE(out[i].result.latency, out[i].waited);
  }
  EXPECT_EQ(conn->in_flight(), 0u);
}

TEST(ClusterConnection, ACallToASilentNodeTimesOutWithinAnEighthMoreThanTheTimeout) {
  asio::io_context io;
  fake_node node(io);
  auto conn = connected(io, node, 400ms);
  outcome out;
  start_call(io, conn, "never answered", out);
  run_until(io, [&] { return out.done; });
  EXPECT_EQ(out.result.failure, call_failure::timed_out);
  EXPECT_NE(out.result.detail.find("did not answer within 400 ms"), std::string::npos)
      << out.result.detail;
  EXPECT_GE(out.waited, 400ms);
  // 400 ms + one tick of 50 ms, with room for a busy machine; the old timer per call would
  // pass too, a lost tick (no timeout at all) would not.
  EXPECT_LT(out.waited, 3000ms);
  // The id stays taken until the late answer: counted in flight.
  EXPECT_EQ(conn->in_flight(), 1u);
}

TEST(ClusterConnection, ALateAnswerIsNotTakenForTheNextCallsAnswer) {
  asio::io_context io;
  fake_node node(io);
  auto conn = connected(io, node, 300ms);
  outcome first;
  start_call(io, conn, "first", first);
  asio::co_spawn(io, node.read_requests(1), asio::detached);
  run_until(io, [&] { return first.done; });
  ASSERT_EQ(first.result.failure, call_failure::timed_out);

  outcome second;
  start_call(io, conn, "second", second);
  bool answered = false;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    co_await node.read_requests(2);
    EXPECT_NE(node.requests[0].header.stream, node.requests[1].header.stream);
    co_await node.answer(0);  // the late answer to "first", on the id still reserved for it
    co_await node.answer(1);
    answered = true;
  }, asio::detached);
  run_until(io, [&] { return second.done && answered; });
  ASSERT_TRUE(second.result.ok()) << second.result.detail;
  EXPECT_EQ(text_of(second.result.frame.body), "second");
  run_until(io, [&] { return conn->in_flight() == 0; });
}

TEST(ClusterConnection, CloseAnswersEveryWaitingCallAtOnce) {
  asio::io_context io;
  fake_node node(io);
  auto conn = connected(io, node, 60000ms);
  std::array<outcome, 2> out;
  start_call(io, conn, "a", out[0]);
  start_call(io, conn, "b", out[1]);
  asio::co_spawn(io, node.read_requests(2), asio::detached);
  run_until(io, [&] { return node.requests.size() == 2; });
  conn->close("shutting down");
  run_until(io, [&] { return out[0].done && out[1].done; });
  for (const auto& o : out) {
    EXPECT_EQ(o.result.failure, call_failure::disconnected);
    EXPECT_EQ(o.result.detail, "shutting down");
    EXPECT_LT(o.waited, 10s);
  }
  outcome after;
  start_call(io, conn, "c", after);
  run_until(io, [&] { return after.done; });
  EXPECT_EQ(after.result.failure, call_failure::disconnected);
}

}  // namespace
}  // namespace tandem::client

namespace tandem::client {
namespace {

TEST(ClusterConnection, AnIdleConnectionSendsOptionsAndClosesWhenTheNodeStaysSilent) {
  asio::io_context io;
  fake_node node(io);
  auto s = settings_for(node.port(), 300ms);
  s.heartbeat_interval = 100ms;
  auto conn = connected(io, node, s);
  std::string closed_because;
  conn->on_closed([&](const std::string& why) { closed_because = why; });
  asio::co_spawn(io, node.read_requests(1), asio::detached);
  run_until(io, [&] { return !closed_because.empty(); });
  ASSERT_EQ(node.requests.size(), 1u);
  EXPECT_EQ(node.requests[0].header.op, protocol::opcode::options);
  EXPECT_NE(closed_because.find("heartbeat failed"), std::string::npos) << closed_because;
  EXPECT_FALSE(conn->is_open());
}

}  // namespace
}  // namespace tandem::client

namespace tandem::client {
namespace {

// call() sends at once and its caller awaits the answer after: an answer read before the
// caller awaits is kept for it (and its id with it), never dropped as an answer to nothing.
TEST(ClusterConnection, AnAnswerThatArrivesBeforeItsCallerAwaitsIsKeptForIt) {
  asio::io_context io;
  fake_node node(io);
  auto conn = connected(io, node, 5000ms);
  bool answered = false;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    co_await node.read_requests(1);
    co_await node.answer(0);
    answered = true;
  }, asio::detached);
  outcome out;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    auto pending = conn->call(protocol::opcode::query, text_bytes("early"));
    while (!answered || conn->in_flight() == 0) {
      asio::steady_timer pause(io, 20ms);
      co_await pause.async_wait(asio::use_awaitable);
    }
    // Let the read loop take the answer in before the caller awaits it.
    asio::steady_timer pause(io, 100ms);
    co_await pause.async_wait(asio::use_awaitable);
    out.result = co_await std::move(pending);
    out.done = true;
  }, asio::detached);
  run_until(io, [&] { return out.done; });
  ASSERT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(text_of(out.result.frame.body), "early");
  EXPECT_EQ(conn->in_flight(), 0u);
}

}  // namespace
}  // namespace tandem::client

namespace tandem::client {
namespace {

// call_then's callback (issue 17: a mirrored write's legs without coroutines).
struct recorded_answer final : answer_callback {
  std::vector<call_result> answers;
  int dropped = 0;
  bool inside_call_then = false;  // an answer must never come from inside call_then
  bool answered_inside = false;
  void on_answer(call_result&& r) override {
    answered_inside = answered_inside || inside_call_then;
    answers.push_back(std::move(r));
  }
  void on_dropped() noexcept override { ++dropped; }
};

bool send_then(cluster_connection& conn, std::string body, recorded_answer& cb) {
  cb.inside_call_then = true;
  const auto b = text_bytes(body);
  const bool sent =
      conn.call_then(protocol::opcode::query, b, 0, cb, std::chrono::steady_clock::now());
  cb.inside_call_then = false;
  return sent;
}

TEST(ClusterConnection, CallThenHandsEachAnswerToItsOwnCallbackOnce) {
  asio::io_context io;
  fake_node node(io);
  auto conn = connected(io, node, 5000ms);
  std::array<recorded_answer, 3> cbs;
  for (std::size_t i = 0; i < cbs.size(); ++i) {
    ASSERT_TRUE(send_then(*conn, "request " + std::to_string(i), cbs[i]));
  }
  EXPECT_EQ(conn->in_flight(), 3u);
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    co_await node.read_requests(3);
    for (std::size_t i = 3; i-- > 0;) {
      co_await node.answer(i);
    }
  }, asio::detached);
  run_until(io, [&] { return cbs[0].answers.size() + cbs[1].answers.size() + cbs[2].answers.size() == 3; });
  for (std::size_t i = 0; i < cbs.size(); ++i) {
    ASSERT_EQ(cbs[i].answers.size(), 1u);
    ASSERT_TRUE(cbs[i].answers[0].ok()) << cbs[i].answers[0].detail;
    EXPECT_EQ(text_of(cbs[i].answers[0].frame.body), "request " + std::to_string(i));
    EXPECT_FALSE(cbs[i].answered_inside);
    EXPECT_EQ(cbs[i].dropped, 0);
  }
  EXPECT_EQ(conn->in_flight(), 0u);
}

TEST(ClusterConnection, CallThenTimesOutAndACloseAnswersTheRest) {
  asio::io_context io;
  fake_node node(io);
  auto conn = connected(io, node, 300ms);
  recorded_answer silent;
  ASSERT_TRUE(send_then(*conn, "never answered", silent));
  run_until(io, [&] { return !silent.answers.empty(); });
  ASSERT_EQ(silent.answers.size(), 1u);
  EXPECT_EQ(silent.answers[0].failure, call_failure::timed_out);

  recorded_answer waiting;
  ASSERT_TRUE(send_then(*conn, "waiting", waiting));
  conn->close("shutting down");
  EXPECT_TRUE(waiting.answers.empty());  // not from inside close(): from the queue
  run_until(io, [&] { return !waiting.answers.empty(); });
  EXPECT_EQ(waiting.answers[0].failure, call_failure::disconnected);
  EXPECT_EQ(waiting.answers[0].detail, "shutting down");

  recorded_answer after;
  EXPECT_FALSE(send_then(*conn, "after", after));  // closed: nothing sent, the caller falls back
  io.restart();
  io.run_for(50ms);
  EXPECT_TRUE(after.answers.empty());
  EXPECT_EQ(silent.answers.size(), 1u);  // once only
}

TEST(ClusterConnection, CallThenTellsItsCallbackWhenTheIoContextGoesWithTheCallOut) {
  recorded_answer cb;
  {
    asio::io_context io;
    fake_node node(io);
    auto conn = connected(io, node, 60000ms);
    ASSERT_TRUE(send_then(*conn, "out", cb));
    asio::co_spawn(io, node.read_requests(1), asio::detached);
    run_until(io, [&] { return node.requests.size() == 1; });
  }
  EXPECT_TRUE(cb.answers.empty());
  EXPECT_EQ(cb.dropped, 1);
}

}  // namespace
}  // namespace tandem::client
