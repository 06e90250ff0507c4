// One CQL connection's socket with the frames that cross it, for the bench tools' one reader
// and one writer coroutine per connection on one thread (the Asio chat_server shape): the
// reader reads straight into the frame_reader; whoever sends or answers queues frames in the
// sink and wakes the writer; the writer sends everything queued in one write and sleeps on a
// timer while nothing is. tandem-loadgen's connections and the stub backend's sessions both
// stand on it, so the two ends of a benchmark move bytes the same way.
#pragma once

#include "tools/bench/frame_io.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

namespace tandem::bench {

namespace asio = boost::asio;

// What one read brought: the error that ended it, or the bytes it added to the reader (a view
// into the reader's buffer, valid until the next call on the reader).
struct read_outcome {
  boost::system::error_code error;
  protocol::bytes_view bytes;
};

class frame_socket {
 public:
  explicit frame_socket(asio::ip::tcp::socket socket);

  asio::ip::tcp::socket& socket() noexcept { return socket_; }
  frame_reader& reader() noexcept { return reader_; }
  frame_sink& sink() noexcept { return sink_; }

  // Reads what has arrived, at most read_chunk bytes, and commits it to the reader.
  asio::awaitable<read_outcome> read_some();

  // The writer's side: wait_for_frames() sleeps until wake_writer() or close() ends the sleep;
  // write_queued() sends everything the sink holds in one write.
  asio::awaitable<void> wait_for_frames();
  void wake_writer();
  asio::awaitable<boost::system::error_code> write_queued();

  // Shuts the socket down both ways and closes it, ignoring errors (the peer may have gone
  // first), then wakes the writer so that it sees the end.
  void close();

  // At most this much per read: many small frames at once, while the reader's buffer stays at
  // one partial frame plus one read (frame_reader::prepare).
  static constexpr std::size_t read_chunk = 64 * 1024;

 private:
  asio::ip::tcp::socket socket_;
  frame_reader reader_;
  frame_sink sink_;
  protocol::bytes out_;  // what is being written; sink_.take() swaps the next bytes in
  asio::steady_timer writer_wake_;
  bool writer_waiting_ = false;
};

}  // namespace tandem::bench
