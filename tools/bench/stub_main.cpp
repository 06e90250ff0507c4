// tandem-stub-backend: a CQL server that answers at once with canned results (issue 7), so
// the proxy can be driven to its limit without two Cassandras taking the machine's cores.
// On SIGINT/SIGTERM it prints what it counted as one JSON line and exits 0.
#include "tools/bench/command_line.hpp"
#include "tools/bench/stub_server.hpp"
#include "tools/bench/tool_main.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <iostream>

namespace tandem::bench {
namespace {

std::vector<option_spec> stub_options() {
  return {
      {"listen", "127.0.0.1:9042", "address:port to accept CQL clients on"},
      {"cluster-name", "tandem-stub", "cluster_name in system.local"},
      {"data-center", "datacenter1", "data_center in system.local"},
      {"release-version", "5.0.9", "release_version in system.local"},
      {"row-size", "100", "bytes of each blob cell in the rows it returns"},
      {"user", "", "require SASL PLAIN with this user (PasswordAuthenticator)"},
      {"password", "", "password of --user"},
  };
}

asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acceptor, stub_state& state) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted) {
      co_return;
    }
    if (ec) {
      continue;
    }
    std::make_shared<stub_session>(std::move(socket), state)->start();
  }
}

int run(const command_line& cl) {
  stub_state state;
  auto [host, port] = parse_host_port(cl.text("listen"), "--listen");
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) {
    throw usage_error("--listen: '" + host + "' is not an IP address");
  }
  auto& who = state.settings.identity;
  who.cluster_name = cl.text("cluster-name");
  who.data_center = cl.text("data-center");
  who.release_version = cl.text("release-version");
  who.row_size = cl.unsigned_number("row-size");
  who.port = port;
  if (address.is_v4()) {
    who.address = address.to_v4().to_bytes();
  }
  state.settings.user = cl.text("user");
  state.settings.password = cl.text("password");

  asio::io_context io{1};
  asio::ip::tcp::acceptor acceptor(io);
  const asio::ip::tcp::endpoint ep(address, port);
  acceptor.open(ep.protocol());
  acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true));
  acceptor.bind(ep, ec);
  if (ec) {
    std::cerr << "tandem-stub-backend: cannot listen on " << cl.text("listen") << ": "
              << ec.message() << "\n";
    return 1;
  }
  acceptor.listen(asio::socket_base::max_listen_connections);
  asio::co_spawn(io, accept_loop(acceptor, state), asio::detached);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int) { io.stop(); });
  std::cerr << "tandem-stub-backend: listening on " << cl.text("listen") << std::endl;
  io.run();
  std::cout << state.counters.json() << std::endl;
  return 0;
}

}  // namespace
}  // namespace tandem::bench

int main(int argc, char** argv) {
  using namespace tandem::bench;
  const tool_description stub{"tandem-stub-backend",
                              "A CQL server that answers every request at once with canned results.",
                              stub_options()};
  return tool_main(stub, argc, argv, run);
}
