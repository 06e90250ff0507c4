#include "proxy/admin_http.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <stdexcept>

namespace tandem::proxy {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using asio::as_tuple;
using asio::use_awaitable;

constexpr std::size_t max_body = 64 * 1024;
constexpr auto request_time = std::chrono::seconds(30);

asio::awaitable<void> serve(beast::tcp_stream stream, std::shared_ptr<admin_api> api) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(max_body);
    stream.expires_after(request_time);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, as_tuple(use_awaitable));
    if (ec) {
      if (ec == http::error::body_limit) {
        http::response<http::string_body> too_big{http::status::payload_too_large, 11};
        too_big.set(http::field::content_type, "application/json");
        too_big.body() = "{\"error\":\"request body above 64 KiB\"}\n";
        too_big.prepare_payload();
        co_await http::async_write(stream, too_big, as_tuple(use_awaitable));
      }
      break;  // closed, timed out or malformed: drop the connection
    }
    const auto& req = parser.get();
    admin_request r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    r.authorization = std::string(req[http::field::authorization]);
    r.body = req.body();
    const admin_response a = api->handle(r);
    http::response<http::string_body> res{static_cast<http::status>(a.status), req.version()};
    res.set(http::field::server, "tandem");
    res.set(http::field::content_type, a.content_type);
    res.set(http::field::cache_control, "no-store");
    if (a.status == 401) {
      res.set(http::field::www_authenticate, "Bearer");
    }
    res.keep_alive(req.keep_alive());
    if (req.method() != http::verb::head) {
      res.body() = a.body;
    }
    res.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, res, as_tuple(use_awaitable));
    if (wec || !res.keep_alive()) {
      break;
    }
  }
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> accept_loop(std::shared_ptr<asio::ip::tcp::acceptor> acceptor,
                                  std::shared_ptr<admin_api> api) {
  for (;;) {
    auto [ec, socket] = co_await acceptor->async_accept(as_tuple(use_awaitable));
    if (ec == asio::error::operation_aborted) {
      co_return;
    }
    if (ec) {
      spdlog::warn("admin port: accept failed: {}", ec.message());
      continue;
    }
    asio::co_spawn(acceptor->get_executor(), serve(beast::tcp_stream(std::move(socket)), api),
                   asio::detached);
  }
}

}  // namespace

std::shared_ptr<asio::ip::tcp::acceptor> start_admin_http(asio::io_context& io,
                                                          std::shared_ptr<admin_api> api,
                                                          const admin_settings& s) {
  auto acceptor = std::make_shared<asio::ip::tcp::acceptor>(io);
  const asio::ip::tcp::endpoint ep(s.listen_address, s.listen_port);
  boost::system::error_code ec;
  acceptor->open(ep.protocol(), ec);
  if (!ec) {
    acceptor->set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
    acceptor->bind(ep, ec);
  }
  if (!ec) {
    acceptor->listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    throw std::runtime_error("cannot listen on " + ep.address().to_string() + ":" +
                             std::to_string(ep.port()) +
                             " (admin.listen_address/listen_port): " + ec.message());
  }
  asio::co_spawn(io, accept_loop(acceptor, std::move(api)), asio::detached);
  return acceptor;
}

}  // namespace tandem::proxy
