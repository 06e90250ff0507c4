// Writing queued frames to a socket, several per write: one syscall (a gathered write) for a
// burst of pipelined frames instead of one per frame. Shared by the client side and the
// cluster side of the proxy. On callbacks, not a coroutine (issue 17): a write burst used to
// cost a co_spawn and two coroutine frames, at a low request rate once per request and socket.
#pragma once

#include "client/transport.hpp"
#include "protocol/buffer_pool.hpp"
#include "protocol/types.hpp"

#include <boost/asio/post.hpp>
#include <boost/container/deque.hpp>

#include <array>
#include <memory>
#include <span>

namespace tandem::client {

// The frames a connection has yet to write. Boost's deque allocates nothing until the first
// frame, where std::deque allocates its map and a 512-byte block at construction: with two
// per connection and three connections per idle client, that was ~1.7 KiB a client (issue 17).
using frame_queue = boost::container::deque<protocol::bytes>;

// Frames gathered into one write at most; bounds the iovec count of a gathered write.
inline constexpr std::size_t max_frames_per_write = 64;

class frame_writer {
 public:
  // Queues `frame`. The first frame queued while no write is on its way starts one, posted: it
  // runs after the handler that queued it, so every frame that handler queues goes out in the
  // same write. `owner` (the connection, which holds this writer and `stream`) is kept alive by
  // the write's handlers — a reference taken when a write starts, not per frame (an atomic
  // increment and decrement each, issue 17); keep_going() is asked before each write; done(ec)
  // is called once the queue is empty (ec clear) or a write failed.
  template <class Owner, class KeepGoing, class Done>
  void send(protocol::bytes frame, Owner& owner, transport& stream, KeepGoing keep_going,
            Done done) {
    queue_.push_back(std::move(frame));
    if (writing_) {
      return;
    }
    writing_ = true;
    boost::asio::post(stream.get_executor(),
                      [this, owner = owner.shared_from_this(), &stream, keep_going,
                       done]() mutable {
                        write_next(std::move(owner), stream, std::move(keep_going),
                                   std::move(done));
                      });
  }

  bool idle() const noexcept { return !writing_ && queue_.empty(); }
  std::size_t queued() const noexcept { return queue_.size(); }

 private:
  // The frames of the write on its way and their buffers: on the heap while a burst lasts
  // only, so an idle connection holds none of it.
  struct batch {
    std::array<protocol::bytes, max_frames_per_write> frames;
    std::array<boost::asio::const_buffer, max_frames_per_write> buffers;
    std::size_t count = 0;
  };

  template <class Owner, class KeepGoing, class Done>
  void write_next(std::shared_ptr<Owner> owner, transport& stream, KeepGoing keep_going,
                  Done done) {
    if (queue_.empty() || !keep_going()) {
      writing_ = false;
      put_spare(std::move(batch_));
      done(boost::system::error_code{});
      return;
    }
    if (!batch_) {
      batch_ = take_spare();
    }
    auto& b = *batch_;
    b.count = 0;
    while (!queue_.empty() && b.count < max_frames_per_write) {
      b.frames[b.count] = std::move(queue_.front());
      queue_.pop_front();
      b.buffers[b.count] = boost::asio::buffer(b.frames[b.count]);
      ++b.count;
    }
    stream.async_write(
        std::span<const boost::asio::const_buffer>(b.buffers.data(), b.count),
        [this, owner = std::move(owner), &stream, keep_going = std::move(keep_going),
         done = std::move(done)](boost::system::error_code ec, std::size_t) mutable {
          for (std::size_t i = 0; i < batch_->count; ++i) {
            protocol::buffer_pool::give_back(std::move(batch_->frames[i]));
          }
          if (ec) {
            writing_ = false;
            put_spare(std::move(batch_));
            done(ec);
            return;
          }
          write_next(std::move(owner), stream, std::move(keep_going), std::move(done));
        });
  }

  // One batch kept per thread between bursts: a busy connection ends a burst every loop turn,
  // and allocating a batch for the next one was an allocation per burst (issue 17), while an
  // idle connection still holds none.
  static std::unique_ptr<batch>& spare() {
    thread_local std::unique_ptr<batch> one;
    return one;
  }
  static std::unique_ptr<batch> take_spare() {
    auto& s = spare();
    return s ? std::move(s) : std::make_unique<batch>();
  }
  static void put_spare(std::unique_ptr<batch> b) {
    auto& s = spare();
    if (b && !s) {
      s = std::move(b);
    }
  }

  frame_queue queue_;
  std::unique_ptr<batch> batch_;
  bool writing_ = false;
};

}  // namespace tandem::client
