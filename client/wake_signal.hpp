// Wakes every coroutine waiting for a condition to change (a slot freed, a write finished) on
// one executor; the waiters look at their condition again in a loop, so a wake with nobody
// waiting is not lost.
//
// Why not re-arm a shared steady_timer in each waiter: steady_timer::expires_at() cancels the
// waits already pending on the timer, so two waiters that each re-arm it wake each other for
// ever. The backfill's workers did exactly that while waiting for a write slot, and spent a
// whole core doing it at a concurrency of 1 (13 s of CPU in 16 s). The expiry is set once here
// and never again; only notify_all() ends a wait.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace tandem::client {

class wake_signal {
 public:
  explicit wake_signal(boost::asio::any_io_executor ex)
      : timer_(std::move(ex), boost::asio::steady_timer::time_point::max()) {}

  // Until the next notify_all() (or the executor's shutdown).
  boost::asio::awaitable<void> wait() {
    co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }

  void notify_all() { timer_.cancel(); }

  boost::asio::any_io_executor get_executor() { return timer_.get_executor(); }

 private:
  boost::asio::steady_timer timer_;
};

}  // namespace tandem::client
