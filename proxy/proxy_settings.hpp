// The proxy's own sections of the configuration (proxy, routing, limits, admin, logging), with
// their keys declared beside the structs; proxy/config.hpp composes them with the clusters' and
// the backfill's sections.
#pragma once

#include "client/settings_values.hpp"
#include "client/tls_settings.hpp"

#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::proxy {


enum class cluster_role { source, target };
enum class write_ack_mode { source_authoritative, strict };
enum class log_level { trace, debug, info, warn, error };
enum class log_format { text, json };

std::string_view to_string(cluster_role r) noexcept;
std::string_view to_string(write_ack_mode m) noexcept;
std::string_view to_string(log_level l) noexcept;
std::string_view to_string(log_format f) noexcept;

// An IP address and port, as advertised in the topology answers (system.peers holds inets).
struct socket_address {
  boost::asio::ip::address address;
  std::uint16_t port = 0;

  friend bool operator==(const socket_address&, const socket_address&) = default;
};

// "127.0.0.1:9042", "[::1]:9042".
std::string format_endpoint(const socket_address& a);

struct proxy_settings {
  boost::asio::ip::address listen_address = boost::asio::ip::address_v4::loopback();
  std::uint16_t listen_port = 9042;
  unsigned worker_threads = 0;  // 0: one per core (see effective_worker_threads)
  // Never empty after load: when not configured it is {listen_address:listen_port}.
  std::vector<socket_address> instances;
  std::string data_center;  // empty: the source's
  client::client_tls_settings tls;

  friend bool operator==(const proxy_settings&, const proxy_settings&) = default;
};

struct routing_settings {
  cluster_role primary = cluster_role::source;
  write_ack_mode write_ack = write_ack_mode::source_authoritative;
  std::string state_file;  // empty: the routing state is not persisted
  // A prepared single-partition statement goes to a replica of its partition on each cluster
  // (token_routing.cpp); false: every request on the client's connection to its node.
  bool token_aware = true;

  friend bool operator==(const routing_settings&, const routing_settings&) = default;
};

struct limits_settings {
  std::uint32_t max_frame_bytes = 256u * 1024u * 1024u;  // fits protocol::frame_limits::max_body
  std::uint32_t max_in_flight_per_connection = 1024;
  std::uint32_t max_client_connections = 10'000;
  std::uint32_t prepared_cache_size = 10'000;
  std::chrono::milliseconds drain_timeout{10'000};

  friend bool operator==(const limits_settings&, const limits_settings&) = default;
};

// What the journal does when it holds journal.max_bytes (issue 14).
enum class journal_full_policy : std::uint8_t {
  fail_writes,  // a write neither the target nor the journal has gets an error: nothing is lost
  record_gap,   // the client gets the source's answer; the window is recorded for the gate
};
std::string_view to_string(journal_full_policy p) noexcept;

struct journal_settings {
  std::string dir;  // "" = no journal (failed target writes are counted and logged only)
  std::chrono::microseconds sync_interval{2000};
  std::uint64_t sync_bytes = 1u << 20;
  std::uint64_t segment_bytes = 64u << 20;
  std::uint64_t max_bytes = 1u << 30;
  journal_full_policy on_full = journal_full_policy::fail_writes;
  std::uint32_t replay_concurrency = 32;  // most replayed writes in flight at once

  friend bool operator==(const journal_settings&, const journal_settings&) = default;
};

struct admin_settings {
  boost::asio::ip::address listen_address = boost::asio::ip::address_v4::loopback();
  std::uint16_t listen_port = 9191;
  std::string bearer_token;  // required when listen_address is not a loopback address

  friend bool operator==(const admin_settings&, const admin_settings&) = default;
};

struct logging_settings {
  log_level level = log_level::info;
  log_format format = log_format::text;

  friend bool operator==(const logging_settings&, const logging_settings&) = default;
};

// proxy.worker_threads, with 0 resolved to the number of cores (at least 1).
unsigned effective_worker_threads(const proxy_settings& p);

client::key_list<proxy_settings> proxy_keys();
client::key_list<routing_settings> routing_keys();
client::key_list<limits_settings> limits_keys();
client::key_list<admin_settings> admin_keys();
client::key_list<journal_settings> journal_keys();
client::key_list<logging_settings> logging_keys();

}  // namespace tandem::proxy
