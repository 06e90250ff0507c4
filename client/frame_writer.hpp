// Writing queued frames to a socket, several per write: one syscall (a gathered write) for a
// burst of pipelined frames instead of one per frame. Shared by the client side and the
// cluster side of the proxy.
#pragma once

#include "protocol/types.hpp"
#include "protocol/buffer_pool.hpp"
#include "client/transport.hpp"

#include <boost/container/deque.hpp>

#include <vector>

namespace tandem::client {

// The frames a connection has yet to write. Boost's deque allocates nothing until the first
// frame, where std::deque allocates its map and a 512-byte block at construction: with two
// per connection and three connections per idle client, that was ~1.7 KiB a client (issue 17).
using frame_queue = boost::container::deque<protocol::bytes>;

// Frames gathered into one write at most; bounds the iovec count of a gathered write.
inline constexpr std::size_t max_frames_per_write = 64;

// Writes the queued frames, taking up to max_frames_per_write at a time, until the queue is
// empty, `keep_going()` turns false, or a write fails (its error is returned).
template <class KeepGoing>
boost::asio::awaitable<boost::system::error_code> write_queued_frames(
    transport& stream, frame_queue& queue, KeepGoing keep_going) {
  std::vector<protocol::bytes> batch;
  std::vector<boost::asio::const_buffer> buffers;
  while (!queue.empty() && keep_going()) {
    batch.clear();
    buffers.clear();
    while (!queue.empty() && batch.size() < max_frames_per_write) {
      batch.push_back(std::move(queue.front()));
      queue.pop_front();
    }
    for (const auto& b : batch) {
      buffers.emplace_back(b.data(), b.size());
    }
    const auto [ec, written] = co_await stream.write(buffers);
    if (ec) {
      co_return ec;
    }
    for (auto& b : batch) {
      protocol::buffer_pool::give_back(std::move(b));
    }
  }
  co_return boost::system::error_code{};
}

}  // namespace tandem::client
