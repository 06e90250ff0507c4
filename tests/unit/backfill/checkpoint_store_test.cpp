// The checkpoint store's conditional writes against the stub backend with injected faults: a
// Paxos round that timed out (Write_timeout, write type CAS) is sent again, so one busy moment
// of the target does not end a backfill (CI of 2026-12-02: "marking the unit done: Operation
// timed out - received only 0 responses"). Against real clusters: test_backfill*.py.
#include "backfill/checkpoint_store.hpp"
#include "tools/bench/stub_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>

#include <gtest/gtest.h>

namespace tandem::backfill {
namespace {

namespace asio = boost::asio;

// A stub backend on a free loopback port, run on the test's io_context.
struct stub_target {
  asio::io_context io;
  bench::stub_state state;
  asio::ip::tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};

  stub_target() {
    asio::co_spawn(io, accept_loop(), asio::detached);
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto s = co_await acceptor.async_accept(asio::use_awaitable);
      std::make_shared<bench::stub_session>(std::move(s), state)->start();
    }
  }

  // Runs `f(store)` to its end and returns what it returned.
  template <class F>
  auto with_store(F f) {
    client::cluster_settings c = client::with_contact_point<client::cluster_settings>("127.0.0.1");
    c.port = acceptor.local_endpoint().port();
    auto fut = asio::co_spawn(
        io,
        [&, f]() -> asio::awaitable<client::outcome<bool>> {
          auto opened = co_await client::cql_client::open(co_await asio::this_coro::executor, c,
                                                          nullptr, "target", c.contact_points);
          if (!opened) {
            client::outcome<bool> out;
            out.error = opened.error;
            co_return out;
          }
          checkpoint_store store(*opened.value, "tandem", "job", "{}");
          auto r = co_await f(store);
          (*opened.value)->close();
          acceptor.close();
          co_return r;
        },
        asio::use_future);
    io.run();
    return fut.get();
  }
};

unit_state a_unit() {
  unit_state u;
  u.keyspace = "ks";
  u.table = "t";
  u.unit = 3;
  u.rows_copied = 10;
  return u;
}

TEST(CheckpointStore, MarksTheUnitDoneThroughTimedOutPaxosRounds) {
  stub_target target;
  target.state.settings.conditional_write_timeouts = 2;
  auto r = target.with_store([](checkpoint_store& s) { return s.finish(a_unit(), "worker-1"); });
  ASSERT_TRUE(r) << r.error.message;
  EXPECT_TRUE(*r.value);
  EXPECT_EQ(target.state.settings.conditional_write_timeouts, 0);
  EXPECT_EQ(target.state.counters.writes, 1u);  // the one that was answered [applied]
}

}  // namespace
}  // namespace tandem::backfill
