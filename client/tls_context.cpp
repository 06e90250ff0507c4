#include "client/tls_context.hpp"

#include <openssl/err.h>

namespace tandem::client {
namespace {

namespace ssl = boost::asio::ssl;

// TLS 1.2 and 1.3 only: Cassandra 5.0's default accepted protocols (cassandra.yaml
// client_encryption_options.accepted_protocols) and what drivers negotiate today.
constexpr auto options = ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1 | ssl::context::single_dh_use;

template <class F>
void load(const std::string& key, const std::string& path, F&& f) {
  boost::system::error_code ec;
  f(ec);
  if (ec) {
    throw config_error(key, key + " = \"" + path + "\": OpenSSL cannot use it: " + ec.message());
  }
}

}  // namespace

std::shared_ptr<ssl::context> make_server_tls(const client_tls_settings& s) {
  if (!s.enabled) {
    return nullptr;
  }
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(options);
  load("proxy.tls.cert_file", s.cert_file,
       [&](auto& ec) { ctx->use_certificate_chain_file(s.cert_file, ec); });
  load("proxy.tls.key_file", s.key_file,
       [&](auto& ec) { ctx->use_private_key_file(s.key_file, ssl::context::pem, ec); });
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    throw config_error("proxy.tls.key_file", "proxy.tls.key_file = \"" + s.key_file +
                                                 "\" does not match proxy.tls.cert_file");
  }
  if (!s.ca_file.empty()) {
    load("proxy.tls.ca_file", s.ca_file, [&](auto& ec) { ctx->load_verify_file(s.ca_file, ec); });
    ctx->set_verify_mode(ssl::verify_peer |
                         (s.require_client_cert ? ssl::verify_fail_if_no_peer_cert : 0));
  }
  return ctx;
}

std::shared_ptr<ssl::context> make_cluster_tls(const cluster_tls_settings& s,
                                               const std::string& section) {
  if (!s.enabled) {
    return nullptr;
  }
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(options);
  if (s.ca_file.empty()) {
    load(section + ".tls.ca_file", "(the system's trust store)",
         [&](auto& ec) { ctx->set_default_verify_paths(ec); });
  } else {
    load(section + ".tls.ca_file", s.ca_file,
         [&](auto& ec) { ctx->load_verify_file(s.ca_file, ec); });
  }
  ctx->set_verify_mode(ssl::verify_peer);
  if (!s.cert_file.empty()) {
    load(section + ".tls.cert_file", s.cert_file,
         [&](auto& ec) { ctx->use_certificate_chain_file(s.cert_file, ec); });
    load(section + ".tls.key_file", s.key_file,
         [&](auto& ec) { ctx->use_private_key_file(s.key_file, ssl::context::pem, ec); });
    if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
      throw config_error(section + ".tls.key_file",
                         section + ".tls.key_file = \"" + s.key_file + "\" does not match " +
                             section + ".tls.cert_file");
    }
  }
  return ctx;
}

}  // namespace tandem::client
