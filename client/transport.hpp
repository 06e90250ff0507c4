// A byte stream to a client or a node: a TCP socket, with TLS on top when configured. Both the
// client side (the proxy is the TLS server) and the cluster side (the proxy is the TLS client)
// read and write through it, so frames do not care which it is. One read and one write may be
// outstanding at a time, as with a socket (Asio's ssl::stream allows exactly that).
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace tandem::client {

namespace asio = boost::asio;

class transport {
 public:
  explicit transport(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}
  explicit transport(asio::any_io_executor ex) : socket_(ex) {}

  transport(const transport&) = delete;
  transport& operator=(const transport&) = delete;

  asio::ip::tcp::socket& socket() noexcept { return socket_; }
  asio::any_io_executor get_executor() { return socket_.get_executor(); }
  bool is_tls() const noexcept { return tls_ != nullptr; }

  // Puts TLS over the connected socket. `ctx` must outlive the transport.
  void use_tls(asio::ssl::context& ctx) {
    tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, ctx);
  }
  asio::ssl::stream<asio::ip::tcp::socket&>& tls() { return *tls_; }

  // Plain functions that hand back the operation itself rather than coroutines around it: a
  // coroutine frame per read (one held by every idle connection) and per write is heap memory
  // on the hot path (issue 17). Both branches yield the same awaitable type.
  asio::awaitable<std::tuple<boost::system::error_code, std::size_t>> read_some(
      asio::mutable_buffer buffer) {
    if (tls_) {
      return tls_->async_read_some(buffer, asio::as_tuple(asio::use_awaitable));
    }
    return socket_.async_read_some(buffer, asio::as_tuple(asio::use_awaitable));
  }

  asio::awaitable<std::tuple<boost::system::error_code, std::size_t>> write(
      const std::vector<asio::const_buffer>& buffers) {
    if (tls_) {
      return asio::async_write(*tls_, buffers, asio::as_tuple(asio::use_awaitable));
    }
    return asio::async_write(socket_, buffers, asio::as_tuple(asio::use_awaitable));
  }

  // The same on a callback (frame_writer): handler(error_code, bytes written). The buffers
  // must stay valid until it is called.
  template <class Handler>
  void async_write(std::span<const asio::const_buffer> buffers, Handler&& handler) {
    if (tls_) {
      asio::async_write(*tls_, buffers, std::forward<Handler>(handler));
    } else {
      asio::async_write(socket_, buffers, std::forward<Handler>(handler));
    }
  }

  void close() {
    boost::system::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  asio::ip::tcp::socket socket_;
  // On the heap, made by use_tls only: inline it would add 360 bytes to every plain-text
  // connection, three per client (issue 17, memory per idle client).
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
};

}  // namespace tandem::client
