// The calls of one cluster_connection: stream ids handed out and back, a request sent with its
// caller waiting in its id's slot (a coroutine, or a callback for call_then), answers handed
// over after a read, and the one timeout tick per connection (issue 17). The connection's
// life — connecting, the read and write loops, the heartbeat, closing — is in
// cluster_connection.cpp.
#include "client/cluster_connection.hpp"

#include "protocol/buffer_pool.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <utility>

namespace tandem::client {

using asio::as_tuple;
using asio::use_awaitable;

namespace {
// A call_then() answer on its way through the executor's queue (a timeout, a close). An
// io_context destroyed before running it tells the callback so (on_dropped), as drop_waiters()
// does for the calls still waiting: the callback's owner is never left holding a reference.
struct posted_answer {
  answer_callback* cb;
  call_result r;
  posted_answer(answer_callback* c, call_result res) : cb(c), r(std::move(res)) {}
  posted_answer(posted_answer&& o) noexcept : cb(std::exchange(o.cb, nullptr)), r(std::move(o.r)) {}
  posted_answer(const posted_answer&) = delete;
  posted_answer& operator=(const posted_answer&) = delete;
  posted_answer& operator=(posted_answer&&) = delete;
  ~posted_answer() {
    if (cb != nullptr) {
      cb->on_dropped();
    }
  }
  void operator()() { std::exchange(cb, nullptr)->on_answer(std::move(r)); }
};
}  // namespace

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
      auto answer = send_call(*stream, op, body, flags);
      protocol::buffer_pool::give_back(std::move(body));  // encoded: the next body's buffer
      return answer;
    }
  }
  return call_when_a_stream_is_free(op, std::move(body), flags);
}

bool cluster_connection::call_then(protocol::opcode op, protocol::bytes_view body,
                                   std::uint8_t flags, answer_callback& cb,
                                   std::chrono::steady_clock::time_point sent_at) {
  if (!open_) {
    return false;
  }
  auto stream = acquire_stream();
  if (!stream) {
    return false;
  }
  auto& slot = calls_[static_cast<std::size_t>(*stream)];
  slot.sent = sent_at;
  slot.callback = &cb;
  slot.state = slot_state::waiting;
  send_request(*stream, op, body, flags);
  watch_timeouts();
  return true;
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
  send_request(id, op, body, flags);
  return answer_to(id);
}

// The request of stream `id`, encoded into a buffer from the pool (given back once written)
// and queued: shared by call() and call_then().
void cluster_connection::send_request(std::int16_t id, protocol::opcode op,
                                      protocol::bytes_view body, std::uint8_t flags) {
  const protocol::frame_header h{settings_.version, false, flags, id, op, 0};
  auto frame = protocol::buffer_pool::take();
  codec_.encode_into(h, body, frame);
  send(std::move(frame));
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
  if (slot.callback != nullptr) {
    // From the queue, as a coroutine is resumed: the callback may send or close this connection.
    asio::post(executor_, posted_answer(std::exchange(slot.callback, nullptr), std::move(r)));
    return;
  }
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
    if (slot.state != slot_state::waiting) {
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
  for (auto& a : answered_) {
    if (a.callback != nullptr) {
      a.callback->on_answer(std::move(a.result));
    } else {
      std::move(a.waiter)(std::move(a.result));
    }
  }
  answered_.clear();
}


}  // namespace tandem::client
