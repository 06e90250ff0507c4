// The admin port's HTTP/1.1 transport (Boost.Beast): accepts on admin.listen_address:
// admin.listen_port, reads one request at a time per connection (bodies up to 64 KiB, 30 s to
// send one), hands it to admin_api and writes the answer. Keep-alive is honoured.
#pragma once

#include "proxy/admin_api.hpp"

#include <boost/asio/io_context.hpp>

#include <memory>

namespace tandem::proxy {

namespace asio = boost::asio;

// Binds and starts accepting on `io`. Throws std::runtime_error naming the admin keys when the
// address cannot be bound. The acceptor lives as long as `io` runs; close it with the
// returned handle to stop accepting.
std::shared_ptr<boost::asio::ip::tcp::acceptor> start_admin_http(boost::asio::io_context& io,
                                                                 std::shared_ptr<admin_api> api,
                                                                 const admin_settings& s);

}  // namespace tandem::proxy
