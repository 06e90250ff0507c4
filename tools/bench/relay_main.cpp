// tandem-relay: a TCP relay that parses nothing (issue 7, case 2): the cost of one forwarding
// hop on this machine, the floor any proxy in the path is measured against. Each accepted
// connection gets a connection to --to and two copy loops, one each way, on one thread.
#include "tools/bench/command_line.hpp"
#include "tools/bench/listener.hpp"
#include "tools/bench/socket_options.hpp"
#include "tools/bench/tool_main.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <iostream>
#include <memory>
#include <string>

namespace tandem::bench {
namespace {

using asio::as_tuple;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

struct relay_pair {
  explicit relay_pair(tcp::socket c) : client(std::move(c)), server(client.get_executor()) {}
  void close() {
    boost::system::error_code ignored;
    client.close(ignored);
    server.close(ignored);
  }
  tcp::socket client;
  tcp::socket server;
};

// Copies bytes from `from` to `to` until either side closes, then closes both.
asio::awaitable<void> copy(std::shared_ptr<relay_pair> pair, bool client_to_server) {
  tcp::socket& from = client_to_server ? pair->client : pair->server;
  tcp::socket& to = client_to_server ? pair->server : pair->client;
  std::array<char, 64 * 1024> buf;
  for (;;) {
    auto [rec, n] = co_await from.async_read_some(asio::buffer(buf), as_tuple(use_awaitable));
    if (rec) {
      break;
    }
    auto [wec, w] = co_await asio::async_write(to, asio::buffer(buf.data(), n), as_tuple(use_awaitable));
    if (wec) {
      break;
    }
  }
  pair->close();
}

asio::awaitable<void> serve(tcp::socket client, tcp::endpoint upstream) {
  auto pair = std::make_shared<relay_pair>(std::move(client));
  auto [ec] = co_await pair->server.async_connect(upstream, as_tuple(use_awaitable));
  if (ec) {
    pair->close();
    co_return;
  }
  set_no_delay(pair->client);
  set_no_delay(pair->server);
  auto ex = co_await asio::this_coro::executor;
  asio::co_spawn(ex, copy(pair, true), asio::detached);
  asio::co_spawn(ex, copy(pair, false), asio::detached);
}

int run(const command_line& cl) {
  const auto listen = endpoint_of(cl.text("listen"), "--listen");
  const auto upstream = endpoint_of(cl.text("to"), "--to");
  asio::io_context io{1};
  const std::string banner = "tandem-relay: " + cl.text("listen") + " -> " + cl.text("to");
  return serve_until_signalled(io, {"tandem-relay", cl.text("listen"), listen, banner},
                               [&io, upstream](tcp::socket client) {
                                 asio::co_spawn(io, serve(std::move(client), upstream),
                                                asio::detached);
                               });
}

}  // namespace
}  // namespace tandem::bench

int main(int argc, char** argv) {
  using namespace tandem::bench;
  const tool_description relay{"tandem-relay",
                               "Relays TCP connections byte for byte.",
                               {{"listen", "127.0.0.1:9043", "address:port to accept on"},
                                {"to", "127.0.0.1:9042", "address:port to relay to"}}};
  return tool_main(relay, argc, argv, run);
}
