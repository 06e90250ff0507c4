// TLS settings: between clients and the proxy (the proxy is the server: proxy.tls) and between
// the proxy or the backfill and a cluster (the client side: source.tls, target.tls).
// client/tls_context.hpp turns them into OpenSSL contexts.
#pragma once

#include <string>

namespace tandem::client {

// TLS between clients and the proxy (the proxy is the server).
struct client_tls_settings {
  bool enabled = false;
  std::string cert_file;
  std::string key_file;
  std::string ca_file;  // when set, client certificates are verified against it
  bool require_client_cert = false;

  friend bool operator==(const client_tls_settings&, const client_tls_settings&) = default;
};

// TLS to a cluster (Tandem is the client).
struct cluster_tls_settings {
  bool enabled = false;
  std::string ca_file;  // empty: the system's trust store
  std::string cert_file;
  std::string key_file;
  bool verify_hostname = true;
  std::string server_name;  // empty: the contact point's name

  friend bool operator==(const cluster_tls_settings&, const cluster_tls_settings&) = default;
};

}  // namespace tandem::client
