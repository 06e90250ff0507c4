// tandem-stub-backend: a CQL server that answers at once with canned results (issue 7), so
// the proxy can be driven to its limit without two Cassandras taking the machine's cores.
// On SIGINT/SIGTERM it prints what it counted as one JSON line and exits 0.
#include "tools/bench/command_line.hpp"
#include "tools/bench/listener.hpp"
#include "tools/bench/stub_server.hpp"
#include "tools/bench/tool_main.hpp"

#include <boost/asio/io_context.hpp>

#include <iostream>
#include <memory>
#include <string>

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

int run(const command_line& cl) {
  stub_state state;
  const auto at = endpoint_of(cl.text("listen"), "--listen");
  auto& who = state.settings.identity;
  who.cluster_name = cl.text("cluster-name");
  who.data_center = cl.text("data-center");
  who.release_version = cl.text("release-version");
  who.row_size = cl.unsigned_number("row-size");
  who.port = at.port();
  if (at.address().is_v4()) {
    who.address = at.address().to_v4().to_bytes();
  }
  state.settings.user = cl.text("user");
  state.settings.password = cl.text("password");

  asio::io_context io{1};
  const std::string banner = "tandem-stub-backend: listening on " + cl.text("listen");
  const listen_spec listen{"tandem-stub-backend", cl.text("listen"), at, banner};
  const int status = serve_until_signalled(io, listen, [&state](asio::ip::tcp::socket s) {
    std::make_shared<stub_session>(std::move(s), state)->start();
  });
  if (status != 0) {
    return status;
  }
  std::cout << state.counters.json() << std::endl;
  return 0;
}

}  // namespace
}  // namespace tandem::bench

int main(int argc, char** argv) {
  using namespace tandem::bench;
  const tool_description stub{
      "tandem-stub-backend",
      "A CQL server that answers every request at once with canned results.", stub_options()};
  return tool_main(stub, argc, argv, run);
}
