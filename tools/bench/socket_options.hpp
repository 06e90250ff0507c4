// Socket options the bench tools set the same way on every TCP connection they make or accept.
#pragma once

#include <boost/asio/ip/tcp.hpp>

namespace tandem::bench {

// TCP_NODELAY on: requests and answers are small and pipelined, and Nagle's algorithm would
// hold a small write back until the peer acknowledges the previous one. Best effort: errors
// are ignored, since a socket without the option still works, only slower.
void set_no_delay(boost::asio::ip::tcp::socket& socket) noexcept;

}  // namespace tandem::bench
