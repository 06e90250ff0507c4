// Waiters for a condition on one executor: woken by notify_all() only, each exactly once.
#include "client/wake_signal.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

namespace tandem::client {
namespace {

namespace asio = boost::asio;

struct condition_waiters {
  bool ready = false;
  int wakeups = 0;
  int finished = 0;
};

TEST(WakeSignal, WaitersSleepUntilNotifiedAndEachWakesOnce) {
  asio::io_context io;
  wake_signal signal(io.get_executor());
  condition_waiters w;
  for (int i = 0; i < 3; ++i) {
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      while (!w.ready) {
        co_await signal.wait();
        ++w.wakeups;
      }
      ++w.finished;
    }, asio::detached);
  }
  // Handlers run one at a time, no clock involved: nothing to run once all three wait.
  for (int i = 0; i < 1000; ++i) {
    io.poll_one();
  }
  EXPECT_EQ(w.wakeups, 0);
  signal.notify_all();  // the condition still false: each looks once and waits again
  io.poll();
  EXPECT_EQ(w.wakeups, 3);
  EXPECT_EQ(w.finished, 0);
  w.ready = true;
  signal.notify_all();
  io.poll();
  EXPECT_EQ(w.wakeups, 6);
  EXPECT_EQ(w.finished, 3);
}

// The pattern wake_signal replaces, kept as a test so the reason stays visible: each waiter
// re-arming one shared timer cancels the others' waits, and two waiters wake each other for
// ever without anybody notifying.
TEST(WakeSignal, ReArmingASharedTimerInEachWaiterSpins) {
  asio::io_context io;
  asio::steady_timer shared(io);
  condition_waiters w;
  for (int i = 0; i < 2; ++i) {
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      while (!w.ready) {
        shared.expires_at(asio::steady_timer::time_point::max());
        co_await shared.async_wait(asio::as_tuple(asio::use_awaitable));
        ++w.wakeups;
      }
    }, asio::detached);
  }
  for (int i = 0; i < 1000; ++i) {
    io.poll_one();
  }
  EXPECT_GT(w.wakeups, 100);
  w.ready = true;
  shared.cancel();
  io.poll();
}

}  // namespace
}  // namespace tandem::client
