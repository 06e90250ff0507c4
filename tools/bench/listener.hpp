// Where the stub backend and the relay accept connections: the --listen address read as a
// numeric IP address, an acceptor on it, and the tool's one io_context run until SIGINT or
// SIGTERM. Both tools listen the same way, so a script driving them waits for and stops them
// the same way.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <string_view>

namespace tandem::bench {

namespace asio = boost::asio;

// "address:port" or "[v6]:port" (parse_host_port) with a numeric address: the tools resolve
// no names. Throws usage_error naming `what`.
asio::ip::tcp::endpoint endpoint_of(std::string_view text, std::string_view what);

struct listen_spec {
  std::string_view tool;         // the program name, which starts its messages
  std::string_view listen_text;  // the address as given on the command line, for messages
  asio::ip::tcp::endpoint at;
  std::string_view banner;       // the line for stderr once the tool is ready
};

// Called on io's thread with each accepted connection.
using accept_handler = std::function<void(asio::ip::tcp::socket)>;

// Binds l.at (address reuse on, so a restarted tool need not wait out TIME_WAIT), hands every
// accepted connection to on_accept, and runs io until SIGINT or SIGTERM stops it. The banner
// goes to stderr only after the signals are caught, so whoever waits for it may stop the tool
// from then on and still get its orderly exit. Returns 1 after "<tool>: cannot listen on
// <listen_text>: <reason>" on stderr when l.at cannot be bound, else 0 once io has stopped.
int serve_until_signalled(asio::io_context& io, const listen_spec& l, accept_handler on_accept);

}  // namespace tandem::bench
