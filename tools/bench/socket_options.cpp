#include "tools/bench/socket_options.hpp"

namespace tandem::bench {

void set_no_delay(boost::asio::ip::tcp::socket& socket) noexcept {
  boost::system::error_code ignored;
  socket.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
}

}  // namespace tandem::bench
