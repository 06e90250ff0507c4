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

// A freed id is reused first (last freed, first reused); otherwise the lowest id never used,
// which grows the table by one. The same order as a table filled with every id up front.
std::optional<std::int16_t> cluster_connection::acquire_stream() {
  std::int16_t id = 0;
  if (!free_streams_.empty()) {
    id = free_streams_.back();
    free_streams_.pop_back();
  } else if (calls_.size() < stream_capacity_) {
    id = static_cast<std::int16_t>(calls_.size());
    calls_.emplace_back();
  } else {
    return std::nullopt;
  }
  calls_[static_cast<std::size_t>(id)].state = slot_state::sent;
  ++calls_in_flight_;
  return id;
}

// Not a coroutine when a stream id is free (the steady state): the request goes out now and the
// caller awaits its answer directly, so a call costs no frame of its own (issue 17).
asio::awaitable<call_result> cluster_connection::call(protocol::opcode op, protocol::bytes body,
                                                      std::uint8_t flags) {
  if (open_) {
    if (auto stream = acquire_stream()) {
      return send_call(*stream, op, body, flags);
    }
  }
  return call_when_a_stream_is_free(op, std::move(body), flags);
}

asio::awaitable<call_result> cluster_connection::call_when_a_stream_is_free(
    protocol::opcode op, protocol::bytes body, std::uint8_t flags) {
  if (!open_) {
    co_return call_result{call_failure::disconnected, settings_.name + " connection is closed", {}};
  }
  // Every stream id busy: wait for one (a burst from a pipelining client), within the timeout.
  std::optional<std::int16_t> stream;
  const auto deadline = std::chrono::steady_clock::now() + settings_.request_timeout;
  while (!stream && open_ && std::chrono::steady_clock::now() < deadline) {
    auto waiter = std::make_shared<asio::steady_timer>(executor_, deadline);
    stream_waiters_.push_back(waiter);
    co_await waiter->async_wait(as_tuple(use_awaitable));
    stream = open_ ? acquire_stream() : std::nullopt;
  }
  if (!stream) {
    co_return call_result{call_failure::overloaded,
                          settings_.name + ": too many requests in flight on one connection", {}};
  }
  co_return co_await send_call(*stream, op, body, flags);
}

asio::awaitable<call_result> cluster_connection::send_call(std::int16_t id, protocol::opcode op,
                                                           protocol::bytes_view body,
                                                           std::uint8_t flags) {
  calls_[static_cast<std::size_t>(id)].sent = std::chrono::steady_clock::now();
  const protocol::frame_header h{settings_.version, false, flags, id, op, 0};
  auto frame = frame_buffers::take();
  codec_.encode_into(h, body, frame);
  send(std::move(frame));
  return answer_to(id);
}

// Suspends the calling coroutine until the read loop, the timeout tick or close() completes
// the slot of `id`. No timer and no heap block per call: the handler (the caller's coroutine)
// lives in the slot, in memory Asio recycles per thread.
asio::awaitable<call_result> cluster_connection::answer_to(std::int16_t id) {
  return asio::async_initiate<const asio::use_awaitable_t<>, void(call_result)>(
      [this, id](auto handler) {
        auto& slot = calls_[static_cast<std::size_t>(id)];
        if (slot.state == slot_state::early) {
          auto it = std::find_if(early_.begin(), early_.end(),
                                 [id](const auto& e) { return e.first == id; });
          call_result r = std::move(it->second);
          early_.erase(it);
          release_stream(id);
          post_answer(asio::any_completion_handler<void(call_result)>(std::move(handler)),
                      std::move(r));
          return;
        }
        // Constructed and swapped in: Boost 1.81's move assignment of any_completion_handler
        // wraps the handler in itself, endlessly (it copies `other` as an lvalue).
        asio::any_completion_handler<void(call_result)> waiter(std::move(handler));
        waiter.swap(slot.waiter);
        slot.state = slot_state::waiting;
        watch_timeouts();
      },
      use_awaitable);
}

void cluster_connection::complete(call_slot& slot, call_result r) {
  auto waiter = std::move(slot.waiter);
  slot.waiter = nullptr;
  post_answer(std::move(waiter), std::move(r));
}

// The caller resumes from the executor's queue, never inside the code that completes it (a
// timeout tick, close(), an await of an answer already there): it may send, close this
// connection or take another id meanwhile.
void cluster_connection::post_answer(asio::any_completion_handler<void(call_result)> waiter,
                                     call_result r) {
  asio::post(executor_, [waiter = std::move(waiter), r = std::move(r)]() mutable {
    std::move(waiter)(std::move(r));
  });
}

void cluster_connection::watch_timeouts() {
  if (timeout_tick_armed_ || !open_) {
    return;
  }
  timeout_tick_armed_ = true;
  const auto tick = std::max<std::chrono::steady_clock::duration>(
      settings_.request_timeout / 8, std::chrono::milliseconds(1));
  timeout_tick_.expires_after(tick);
  timeout_tick_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    self->timeout_tick_armed_ = false;
    if (!ec) {
      self->expire_calls();
    }
  });
}

void cluster_connection::expire_calls() {
  if (!open_) {
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  bool waiting = false;
  for (auto& slot : calls_) {
    if (!slot.waiter) {
      continue;  // free, or timed out already and waiting for its late answer
    }
    if (now - slot.sent < settings_.request_timeout) {
      waiting = true;
      continue;
    }
    complete(slot, call_result{call_failure::timed_out,
                               settings_.name + " did not answer within " +
                                   std::to_string(settings_.request_timeout.count()) + " ms",
                               {}, now - slot.sent});
    slot.state = slot_state::abandoned;
  }
  if (waiting) {
    watch_timeouts();
  }
}

void cluster_connection::send(protocol::bytes frame) {
  write_queue_.push_back(std::move(frame));
  if (!writing_) {
    writing_ = true;
    asio::co_spawn(executor_, [self = shared_from_this()] { return self->write_loop(); },
                   asio::detached);
  }
}

asio::awaitable<void> cluster_connection::write_loop() {
  auto self = shared_from_this();
  const auto ec = co_await write_queued_frames(stream_, write_queue_, [this] { return open_; });
  if (ec) {
    close(settings_.name + " write failed: " + ec.message());
  }
  writing_ = false;
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
          answered_.emplace_back(std::move(slot.waiter),
                                 call_result{call_failure::none, {}, std::move(f), last_read_ - slot.sent});
          slot.waiter = nullptr;
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

void cluster_connection::release_stream(std::int16_t id) {
  calls_[static_cast<std::size_t>(id)].state = slot_state::free;
  if (calls_in_flight_ == 0) {
    return;  // closed meanwhile: fail_all let go of every id, and hands out no more
  }
  free_streams_.push_back(id);
  --calls_in_flight_;
  if (!stream_waiters_.empty()) {
    stream_waiters_.front()->cancel();
    stream_waiters_.pop_front();
  }
}

// The callers of the answers one read brought resume here, one after the other, once the
// read's frames are all decoded: inline, without a trip through the executor's queue (a heap
// block and a lock per answer, issue 17), and never in the middle of the codec's iteration. A
// caller may send, take an id or close this connection meanwhile: nothing here holds on to a
// slot, and the list is the read loop's alone.
void cluster_connection::hand_over_answers() {
  for (auto& [waiter, result] : answered_) {
    std::move(waiter)(std::move(result));
  }
  answered_.clear();
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
  for (auto& slot : calls_) {
    if (slot.waiter) {
      dropped.push_back(std::move(slot.waiter));
      slot.waiter = nullptr;
    }
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
