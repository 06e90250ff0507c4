// OpenSSL contexts built once at start from the TLS keys of the configuration: one for the
// proxy as a server (proxy.tls) and one per cluster for the proxy as a client (source.tls,
// target.tls). A file that OpenSSL cannot load stops the start with config_error naming the
// key, so a wrong path or a key that does not match its certificate is found before a client
// connects.
#pragma once

#include "client/settings_values.hpp"
#include "client/tls_settings.hpp"

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

namespace tandem::client {

// nullptr when proxy.tls.enabled is false.
std::shared_ptr<boost::asio::ssl::context> make_server_tls(const client_tls_settings& s);

// nullptr when <section>.tls.enabled is false. `section` is "source" or "target", for errors.
std::shared_ptr<boost::asio::ssl::context> make_cluster_tls(const cluster_tls_settings& s,
                                                            const std::string& section);

}  // namespace tandem::client
