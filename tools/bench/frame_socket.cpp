#include "tools/bench/frame_socket.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace tandem::bench {

using asio::as_tuple;
using asio::use_awaitable;

frame_socket::frame_socket(asio::ip::tcp::socket socket)
    : socket_(std::move(socket)), writer_wake_(socket_.get_executor()) {}

asio::awaitable<read_outcome> frame_socket::read_some() {
  auto room = reader_.prepare(read_chunk);
  auto [ec, n] = co_await socket_.async_read_some(asio::buffer(room.data(), room.size()),
                                                  as_tuple(use_awaitable));
  if (ec) {
    co_return read_outcome{ec, {}};
  }
  reader_.commit(n);
  co_return read_outcome{{}, protocol::bytes_view(room.data(), n)};
}

asio::awaitable<void> frame_socket::wait_for_frames() {
  writer_waiting_ = true;
  writer_wake_.expires_at(asio::steady_timer::time_point::max());
  co_await writer_wake_.async_wait(as_tuple(use_awaitable));
  writer_waiting_ = false;
}

// Only while the writer sleeps: cancelling a timer nobody waits on changes nothing but still
// takes the reactor's lock, and the load generator calls this after every read.
void frame_socket::wake_writer() {
  if (writer_waiting_) {
    writer_wake_.cancel();
  }
}

asio::awaitable<boost::system::error_code> frame_socket::write_queued() {
  sink_.take(out_);
  auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(out_), as_tuple(use_awaitable));
  co_return ec;
}

void frame_socket::close() {
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  writer_wake_.cancel();
}

}  // namespace tandem::bench
