#include "tools/bench/listener.hpp"

#include "tools/bench/command_line.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <iostream>
#include <string>

namespace tandem::bench {

using tcp = asio::ip::tcp;

namespace {

// The handler by value: this frame outlives serve_until_signalled's until io is destroyed.
asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, accept_handler on_accept) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted) {
      co_return;
    }
    if (ec) {
      continue;  // one failed accept stops no one else's connection
    }
    on_accept(std::move(socket));
  }
}

}  // namespace

tcp::endpoint endpoint_of(std::string_view text, std::string_view what) {
  auto [host, port] = parse_host_port(text, what);
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) {
    throw usage_error(std::string(what) + ": '" + host + "' is not an IP address");
  }
  return {address, port};
}

int serve_until_signalled(asio::io_context& io, const listen_spec& l, accept_handler on_accept) {
  tcp::acceptor acceptor(io);
  acceptor.open(l.at.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  boost::system::error_code ec;
  acceptor.bind(l.at, ec);
  if (ec) {
    std::cerr << l.tool << ": cannot listen on " << l.listen_text << ": " << ec.message() << "\n";
    return 1;
  }
  acceptor.listen(asio::socket_base::max_listen_connections);
  asio::co_spawn(io, accept_loop(acceptor, std::move(on_accept)), asio::detached);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int) { io.stop(); });
  std::cerr << l.banner << std::endl;
  io.run();
  return 0;
}

}  // namespace tandem::bench
