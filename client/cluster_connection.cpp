// One connection to a node: connecting (TCP, TLS), the read loop that decodes answers and the
// write loop that gathers frames, the heartbeat, and closing. The calls themselves (stream ids,
// waiting callers, timeouts) are in cluster_calls.cpp.
#include "client/cluster_connection.hpp"
#include "client/frame_writer.hpp"
#include "client/read_buffer.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <utility>

namespace tandem::client {

using asio::as_tuple;
using asio::use_awaitable;

namespace {
// spec v4 §2.3: "there can only be 32768 different simultaneous streams".
constexpr std::size_t max_streams = 32768;
}  // namespace

cluster_connection::cluster_connection(asio::any_io_executor ex, cluster_connection_settings s)
    : executor_(ex),
      settings_(std::move(s)),
      stream_(ex),
      codec_(settings_.limits),
      timeout_tick_(ex),
      idle_deadline_(ex),
      heartbeat_timer_(ex) {
  stream_capacity_ = std::min(max_streams, std::max<std::size_t>(1, settings_.max_in_flight));
}

cluster_connection::~cluster_connection() = default;

asio::awaitable<std::string> cluster_connection::connect() {
  const auto& ep = settings_.endpoint;
  boost::system::error_code ec;
  auto address = asio::ip::make_address(ep.host, ec);
  asio::ip::tcp::endpoint target;
  if (ec) {
    asio::ip::tcp::resolver resolver(executor_);
    auto [rec, results] = co_await resolver.async_resolve(ep.host, std::to_string(ep.port),
                                                           as_tuple(use_awaitable));
    if (rec || results.empty()) {
      co_return settings_.name + ": cannot resolve " + ep.host + ": " + rec.message();
    }
    target = results.begin()->endpoint();
  } else {
    target = asio::ip::tcp::endpoint(address, ep.port);
  }
  // Race the connect against the timeout: a node that drops SYNs must not hang the client.
  asio::steady_timer deadline(executor_, settings_.connect_timeout);
  // The handler may run after this coroutine has moved on: it owns what it touches.
  auto timed_out = std::make_shared<bool>(false);
  deadline.async_wait([self = shared_from_this(), timed_out](boost::system::error_code wait_ec) {
    if (!wait_ec) {
      *timed_out = true;
      boost::system::error_code ignored;
      self->stream_.socket().cancel(ignored);
    }
  });
  auto [cec] = co_await stream_.socket().async_connect(target, as_tuple(use_awaitable));
  if (cec) {
    deadline.cancel();
    co_return settings_.name + " node " + ep.host + ":" + std::to_string(ep.port) +
        (*timed_out ? ": connect timed out" : ": " + cec.message());
  }
  stream_.socket().set_option(asio::ip::tcp::no_delay(true), ec);
  if (settings_.tls) {
    // The TLS handshake counts against the same connect timeout.
    auto err = co_await tls_handshake();
    if (!err.empty()) {
      deadline.cancel();
      stream_.close();
      co_return settings_.name + " node " + ep.host + ":" + std::to_string(ep.port) +
          (*timed_out ? ": TLS handshake timed out" : ": TLS handshake failed: " + err);
    }
  }
  deadline.cancel();
  open_ = true;
  asio::co_spawn(executor_, [self = shared_from_this()] { return self->read_loop(); },
                 asio::detached);
  arm_heartbeat();
  co_return std::string{};
}

asio::awaitable<std::string> cluster_connection::tls_handshake() {
  stream_.use_tls(*settings_.tls);
  auto& tls = stream_.tls();
  const std::string& name =
      settings_.server_name.empty() ? settings_.endpoint.host : settings_.server_name;
  boost::system::error_code ec;
  asio::ip::make_address(name, ec);
  const bool is_address = !ec;
  // SNI carries host names only (RFC 6066 §3: literal IP addresses are not permitted).
  if (!is_address) {
    SSL_set_tlsext_host_name(tls.native_handle(), name.c_str());
  }
  if (settings_.verify_hostname) {
    tls.set_verify_callback(asio::ssl::host_name_verification(name));
  }
  auto [hec] = co_await tls.async_handshake(asio::ssl::stream_base::client, as_tuple(use_awaitable));
  if (hec) {
    std::string detail = hec.message();
    const long verify = SSL_get_verify_result(tls.native_handle());
    if (verify != X509_V_OK) {
      detail += std::string(" (certificate: ") + X509_verify_cert_error_string(verify) + ")";
    }
    co_return detail;
  }
  co_return std::string{};
}


void cluster_connection::send(protocol::bytes frame) {
  writer_.send(std::move(frame), *this, stream_, [this] { return open_; },
               [this](boost::system::error_code ec) {
                 if (ec) {
                   close(settings_.name + " write failed: " + ec.message());
                 }
               });
}

asio::awaitable<void> cluster_connection::read_loop() {
  auto self = shared_from_this();
  // When the io_context is destroyed with this loop still waiting, the callers' coroutines held
  // in the slots are released here: each holds a reference to its session, which holds this
  // connection, a cycle nothing else would break.
  struct release_waiters {
    cluster_connection& c;
    ~release_waiters() { c.drop_waiters(); }
  } release{*this};
  read_buffer buf;
  while (open_) {
    auto [ec, n] = co_await stream_.read_some(buf.space());
    if (ec) {
      close(settings_.name + " connection lost: " + ec.message());
      co_return;
    }
    last_read_ = std::chrono::steady_clock::now();
    codec_.feed(buf.bytes(n));
    buf.after_read(n);
    for (;;) {
      auto next = codec_.next();
      if (!next) {
        hand_over_answers();  // the frames before the bad one were answers all the same
        close(settings_.name + " sent a malformed frame: " + next.error().message());
        co_return;
      }
      if (!*next) {
        break;
      }
      protocol::owned_frame f = std::move(**next);
      if (f.header.stream < 0) {
        if (on_event_) {
          on_event_(std::move(f));
        }
        continue;
      }
      const auto id = static_cast<std::size_t>(f.header.stream);
      if (id >= calls_.size()) {
        continue;  // an answer to nothing we asked: ignore rather than misroute
      }
      auto& slot = calls_[id];
      switch (slot.state) {
        case slot_state::free:
        case slot_state::early:
          continue;  // an answer to nothing we asked (or a second one): ignore, never misroute
        case slot_state::sent:
          // Its caller has not awaited it yet: kept, with the id, until it does.
          slot.state = slot_state::early;
          early_.emplace_back(f.header.stream, call_result{call_failure::none, {}, std::move(f),
                                                           last_read_ - slot.sent});
          continue;
        case slot_state::waiting:
          answered_.push_back(answered_call{
              std::move(slot.waiter), slot.callback,
              call_result{call_failure::none, {}, std::move(f), last_read_ - slot.sent}});
          slot.waiter = nullptr;
          slot.callback = nullptr;
          break;
        case slot_state::abandoned:
          break;  // the late answer of a call that timed out: its id is free again
      }
      release_stream(f.header.stream);
      if (close_when_idle_ && calls_in_flight_ == 0) {
        // After the waiting coroutine has taken its answer: close() would overwrite it.
        asio::post(executor_, [self, why = *close_when_idle_] { self->close(why); });
      }
    }
    hand_over_answers();
  }
}

// A timer callback, not a coroutine looping on the timer: every idle connection (two per
// client) would hold that coroutine's frames for its whole life (issue 17, memory per client).
// The OPTIONS call runs as a coroutine only when one is due.
void cluster_connection::arm_heartbeat() {
  heartbeat_timer_.expires_after(settings_.heartbeat_interval);
  heartbeat_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || !self->open_) {
      return;  // close() cancelled it
    }
    if (std::chrono::steady_clock::now() - self->last_read_ < self->settings_.heartbeat_interval) {
      self->arm_heartbeat();  // the node spoke lately: alive
      return;
    }
    asio::co_spawn(self->executor_, [self]() -> asio::awaitable<void> {
      auto r = co_await self->call(protocol::opcode::options, {});
      if (!self->open_) {
        co_return;
      }
      if (!r.ok()) {
        self->close(self->settings_.name + " heartbeat failed: " + r.detail);
      } else {
        self->arm_heartbeat();
      }
    }, asio::detached);
  });
}

void cluster_connection::fail_all(const std::string& why) {
  for (std::size_t id = 0; id < calls_.size(); ++id) {
    auto& slot = calls_[id];
    call_result failed{call_failure::disconnected, why, {}, std::chrono::steady_clock::now() - slot.sent};
    if (slot.state == slot_state::waiting) {
      complete(slot, std::move(failed));
    } else if (slot.state == slot_state::sent) {
      early_.emplace_back(static_cast<std::int16_t>(id), std::move(failed));  // for its caller
      slot.state = slot_state::early;
      continue;
    }
    if (slot.state != slot_state::early) {
      slot.state = slot_state::free;
    }
  }
  free_streams_.clear();
  stream_capacity_ = calls_.size();  // as before: a closed connection hands out no more ids
  calls_in_flight_ = 0;
}

void cluster_connection::drop_waiters() noexcept {
  auto answered = std::move(answered_);
  answered_.clear();
  std::vector<asio::any_completion_handler<void(call_result)>> dropped;
  // Told after the table is cleared: what a callback lets go of may close this connection.
  std::vector<answer_callback*> callbacks;
  for (auto& a : answered) {
    if (a.callback != nullptr) {
      callbacks.push_back(a.callback);
    }
  }
  for (auto& slot : calls_) {
    if (slot.waiter) {
      dropped.push_back(std::move(slot.waiter));
      slot.waiter = nullptr;
    }
    if (slot.callback != nullptr) {
      callbacks.push_back(std::exchange(slot.callback, nullptr));
    }
  }
  for (auto* cb : callbacks) {
    cb->on_dropped();
  }
}

void cluster_connection::close_when_idle(const std::string& why) {
  if (!open_ || close_when_idle_) {
    return;
  }
  if (calls_in_flight_ == 0) {
    close(why);
    return;
  }
  close_when_idle_ = why;
  idle_deadline_.expires_after(settings_.request_timeout);
  idle_deadline_.async_wait([self = shared_from_this(), why](boost::system::error_code ec) {
    if (!ec) {
      self->close(why);
    }
  });
}

void cluster_connection::close(const std::string& why) {
  if (!open_) {
    return;
  }
  open_ = false;
  stream_.close();
  heartbeat_timer_.cancel();
  timeout_tick_.cancel();
  idle_deadline_.cancel();
  for (auto& w : stream_waiters_) {
    w->cancel();
  }
  stream_waiters_.clear();
  fail_all(why);
  if (on_closed_) {
    on_closed_(why);
  }
}

}  // namespace tandem::client
