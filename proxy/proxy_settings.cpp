#include "proxy/proxy_settings.hpp"

#include <algorithm>
#include <thread>

namespace tandem::proxy {


using namespace client;
namespace ip = boost::asio::ip;
using std::chrono::milliseconds;

std::string_view to_string(cluster_role r) noexcept {
  return r == cluster_role::source ? "source" : "target";
}

std::string_view to_string(write_ack_mode m) noexcept {
  return m == write_ack_mode::strict ? "strict" : "source_authoritative";
}

std::string_view to_string(journal_full_policy p) noexcept {
  return p == journal_full_policy::record_gap ? "record_gap" : "fail_writes";
}

std::string_view to_string(log_level l) noexcept {
  static constexpr std::string_view names[] = {"trace", "debug", "info", "warn", "error"};
  return names[static_cast<int>(l)];
}

std::string_view to_string(log_format f) noexcept {
  return f == log_format::json ? "json" : "text";
}

std::string format_endpoint(const socket_address& a) {
  const std::string host =
      a.address.is_v6() ? "[" + a.address.to_string() + "]" : a.address.to_string();
  return host + ":" + std::to_string(a.port);
}

unsigned effective_worker_threads(const proxy_settings& p) {
  return p.worker_threads != 0 ? p.worker_threads
                               : std::max(1u, std::thread::hardware_concurrency());
}

namespace {

ip::address as_ip(const raw_value& v) {
  boost::system::error_code ec;
  const auto a = ip::make_address(trim(as_string(v)), ec);
  if (ec) {
    throw value_error{"an IPv4 or IPv6 address"};
  }
  return a;
}

// "127.0.0.1:9042" or "[::1]:9042": what the topology answers advertise (inet columns).
std::vector<socket_address> as_endpoints(const raw_value& v) {
  std::vector<socket_address> out;
  const value_error err{"a list of address:port like 127.0.0.1:9042 or [::1]:9042"};
  for (const auto& item : as_list(v)) {
    const auto colon = item.rfind(':');
    if (colon == std::string::npos) {
      throw err;
    }
    std::string host = item.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string::npos) {
      throw err;  // an IPv6 address needs brackets, or its last group reads as the port
    }
    try {
      out.push_back({as_ip(raw_value{{host}}), as_port(raw_value{{item.substr(colon + 1)}})});
    } catch (const value_error&) {
      throw err;
    }
  }
  return out;
}

}  // namespace

key_list<proxy_settings> proxy_keys() {
  using s = proxy_settings;
  return {
      {"listen_address", [](s& p, const raw_value& v) { p.listen_address = as_ip(v); }},
      {"listen_port", [](s& p, const raw_value& v) { p.listen_port = as_port(v); }},
      {"worker_threads",
       [](s& p, const raw_value& v) { p.worker_threads = static_cast<unsigned>(as_uint(v, 0, 256)); }},
      {"instances", [](s& p, const raw_value& v) { p.instances = as_endpoints(v); }},
      {"data_center", [](s& p, const raw_value& v) { p.data_center = as_string(v); }},
      {"tls.enabled", [](s& p, const raw_value& v) { p.tls.enabled = as_bool(v); }},
      {"tls.cert_file", [](s& p, const raw_value& v) { p.tls.cert_file = as_string(v); }},
      {"tls.key_file", [](s& p, const raw_value& v) { p.tls.key_file = as_string(v); }},
      {"tls.ca_file", [](s& p, const raw_value& v) { p.tls.ca_file = as_string(v); }},
      {"tls.require_client_cert",
       [](s& p, const raw_value& v) { p.tls.require_client_cert = as_bool(v); }},
  };
}

key_list<routing_settings> routing_keys() {
  using s = routing_settings;
  return {
      {"primary", [](s& r, const raw_value& v) {
         r.primary = as_enum(v, {cluster_role::source, cluster_role::target});
       }},
      {"write_ack", [](s& r, const raw_value& v) {
         r.write_ack = as_enum(v, {write_ack_mode::source_authoritative, write_ack_mode::strict});
       }},
      {"state_file", [](s& r, const raw_value& v) { r.state_file = as_string(v); }},
      {"token_aware", [](s& r, const raw_value& v) { r.token_aware = as_bool(v); }},
  };
}

key_list<limits_settings> limits_keys() {
  using s = limits_settings;
  return {
      // spec v5 §2.4.1.5 / Cassandra's native_transport_max_frame_size: frames above 256MiB are
      // refused by the servers anyway; below 64KiB ordinary result pages no longer fit.
      {"max_frame_bytes",
       [](s& l, const raw_value& v) { l.max_frame_bytes = as_size(v, 64u << 10, 256u << 20); }},
      // spec v4 §2.3: a connection has at most 32768 stream ids, so no more can be in flight.
      {"max_in_flight_per_connection",
       [](s& l, const raw_value& v) {
         l.max_in_flight_per_connection = static_cast<std::uint32_t>(as_uint(v, 1, 32768));
       }},
      {"max_client_connections",
       [](s& l, const raw_value& v) {
         l.max_client_connections = static_cast<std::uint32_t>(as_uint(v, 1, 1'000'000));
       }},
      {"prepared_cache_size",
       [](s& l, const raw_value& v) {
         l.prepared_cache_size = static_cast<std::uint32_t>(as_uint(v, 1, 10'000'000));
       }},
      {"drain_timeout",
       [](s& l, const raw_value& v) { l.drain_timeout = as_duration(v, milliseconds(0), one_hour); }},
  };
}

key_list<admin_settings> admin_keys() {
  using s = admin_settings;
  return {
      {"listen_address", [](s& a, const raw_value& v) { a.listen_address = as_ip(v); }},
      {"listen_port", [](s& a, const raw_value& v) { a.listen_port = as_port(v); }},
      {"bearer_token", [](s& a, const raw_value& v) { a.bearer_token = as_string(v); }},
  };
}

key_list<journal_settings> journal_keys() {
  using s = journal_settings;
  return {
      {"dir", [](s& j, const raw_value& v) { j.dir = as_string(v); }},
      // Group commit: long enough to gather many records per fdatasync, short next to a write's
      // own latency (the client of a write the target has not answered waits for it).
      {"sync_interval",
       [](s& j, const raw_value& v) {
         j.sync_interval = as_duration(v, milliseconds(0), milliseconds(100));
       }},
      {"sync_bytes", [](s& j, const raw_value& v) { j.sync_bytes = as_size(v, 4u << 10, 64u << 20); }},
      {"segment_bytes",
       [](s& j, const raw_value& v) { j.segment_bytes = as_size64(v, 64u << 10, 1ull << 30); }},
      {"max_bytes", [](s& j, const raw_value& v) { j.max_bytes = as_size64(v, 1u << 20, 1ull << 40); }},
      {"on_full", [](s& j, const raw_value& v) {
         j.on_full = as_enum(v, {journal_full_policy::fail_writes, journal_full_policy::record_gap});
       }},
      {"replay_concurrency",
       [](s& j, const raw_value& v) {
         j.replay_concurrency = static_cast<std::uint32_t>(as_uint(v, 1, 1024));
       }},
  };
}

key_list<logging_settings> logging_keys() {
  using s = logging_settings;
  return {
      {"level", [](s& l, const raw_value& v) {
         l.level = as_enum(v, {log_level::trace, log_level::debug, log_level::info, log_level::warn,
                               log_level::error});
       }},
      {"format", [](s& l, const raw_value& v) {
         l.format = as_enum(v, {log_format::text, log_format::json});
       }},
  };
}

}  // namespace tandem::proxy
