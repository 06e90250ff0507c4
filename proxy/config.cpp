// Loading order: defaults, then the YAML file, then TANDEM_* variables, then the rules that span
// keys. Every key is described once in a table (name -> parser) that the file walker, the
// environment pass and config_keys() share, so a key cannot be readable one way and not another.
#include "proxy/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

extern char** environ;

namespace tandem::proxy {
namespace {

namespace ip = boost::asio::ip;
using std::chrono::milliseconds;
using origin_map = std::map<std::string, std::string>;

// A key's text before parsing: one item for a scalar, several for a YAML sequence.
struct raw_value {
  std::vector<std::string> items;
  bool is_list = false;
  bool is_null = false;

  std::string shown() const {
    if (is_null) {
      return "(empty)";
    }
    if (!is_list) {
      return "\"" + items.front() + "\"";
    }
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) {
      out += (i > 0 ? ", " : "") + items[i];
    }
    return out + "]";
  }
};

// Thrown by the parsers below with what was expected; apply_key adds key, origin and value.
struct value_error {
  std::string expected;
};

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return {};
  }
  return std::string(s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1));
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return out;
}

// A directory opens as an ifstream on Linux and then reads as empty: refuse it by name.
bool readable_file(const std::string& path) {
  std::error_code ec;
  return !std::filesystem::is_directory(path, ec) && std::ifstream(path).good();
}

std::string format_duration(milliseconds d) {
  const auto n = d.count();
  if (n != 0 && n % 3'600'000 == 0) {
    return std::to_string(n / 3'600'000) + "h";
  }
  if (n != 0 && n % 60'000 == 0) {
    return std::to_string(n / 60'000) + "m";
  }
  if (n % 1'000 == 0) {
    return std::to_string(n / 1'000) + "s";
  }
  return std::to_string(n) + "ms";
}

std::string format_size(std::uint64_t n) {
  if (n != 0 && n % (1u << 30) == 0) {
    return std::to_string(n >> 30) + "GiB";
  }
  if (n != 0 && n % (1u << 20) == 0) {
    return std::to_string(n >> 20) + "MiB";
  }
  if (n != 0 && n % (1u << 10) == 0) {
    return std::to_string(n >> 10) + "KiB";
  }
  return std::to_string(n);
}

std::string format_endpoint(const socket_address& a) {
  const std::string host =
      a.address.is_v6() ? "[" + a.address.to_string() + "]" : a.address.to_string();
  return host + ":" + std::to_string(a.port);
}

// ---- parsers: raw text -> typed value, or value_error naming what was expected ----

std::string as_string(const raw_value& v) {
  if (v.is_list) {
    throw value_error{"a single value, not a list"};
  }
  return v.is_null ? std::string() : v.items.front();
}

// An unquoted CQL keyspace name: letters, digits and underscores, at most 48 (Cassandra's
// SchemaConstants.NAME_LENGTH), not starting with a digit.
std::string as_cql_name(const raw_value& v) {
  const std::string s = as_string(v);
  const bool ok = !s.empty() && s.size() <= 48 &&
                  !std::isdigit(static_cast<unsigned char>(s.front())) &&
                  std::all_of(s.begin(), s.end(), [](char ch) {
                    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
                  });
  if (!ok) {
    throw value_error{"a keyspace name: 1 to 48 letters, digits or underscores"};
  }
  return s;
}

// A CQL map literal for CREATE KEYSPACE ... WITH replication = <it>; only its shape is checked
// here, the target checks the rest when the keyspace is created.
std::string as_replication_map(const raw_value& v) {
  const std::string s = trim(as_string(v));
  if (s.size() < 2 || s.front() != '{' || s.back() != '}' || s.find(';') != std::string::npos ||
      s.find("class") == std::string::npos) {
    throw value_error{"a CQL replication map such as {'class': 'SimpleStrategy', 'replication_factor': 1}"};
  }
  return s;
}

// A YAML sequence, or a comma-separated string (the only way to write a list in a variable).
std::vector<std::string> as_list(const raw_value& v) {
  std::vector<std::string> out;
  if (v.is_list) {
    std::transform(v.items.begin(), v.items.end(), std::back_inserter(out), trim);
  } else if (!v.is_null && !trim(v.items.front()).empty()) {
    std::stringstream in(v.items.front());
    for (std::string item; std::getline(in, item, ',');) {
      out.push_back(trim(item));
    }
    if (v.items.front().back() == ',') {
      out.emplace_back();
    }
  }
  if (std::find(out.begin(), out.end(), std::string()) != out.end()) {
    throw value_error{"a list without empty items"};
  }
  return out;
}

bool as_bool(const raw_value& v) {
  const std::string s = lower(trim(as_string(v)));
  if (s == "true" || s == "yes" || s == "on" || s == "1") {
    return true;
  }
  if (s == "false" || s == "no" || s == "off" || s == "0") {
    return false;
  }
  throw value_error{"true or false"};
}

// `expected` replaces the generic "an integer from lo to hi" where a name says more.
std::uint64_t as_uint(const raw_value& v, std::uint64_t lo, std::uint64_t hi,
                      std::string expected = {}) {
  const std::string s = trim(as_string(v));
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || n < lo || n > hi) {
    throw value_error{expected.empty()
                          ? "an integer from " + std::to_string(lo) + " to " + std::to_string(hi)
                          : std::move(expected)};
  }
  return n;
}

std::uint16_t as_port(const raw_value& v) {
  return static_cast<std::uint16_t>(as_uint(v, 1, 65535, "a port number from 1 to 65535"));
}

milliseconds as_duration(const raw_value& v, milliseconds lo, milliseconds hi) {
  const auto d = parse_duration(trim(as_string(v)));
  if (!d || *d < lo || *d > hi) {
    throw value_error{"a duration like 500ms, 10s or 2m, from " + format_duration(lo) + " to " +
                      format_duration(hi)};
  }
  return *d;
}

std::uint32_t as_size(const raw_value& v, std::uint32_t lo, std::uint32_t hi) {
  const auto n = parse_size(trim(as_string(v)));
  if (!n || *n < lo || *n > hi) {
    throw value_error{"a size like 256MiB, 64KiB or a number of bytes, from " + format_size(lo) +
                      " to " + format_size(hi)};
  }
  return static_cast<std::uint32_t>(*n);
}

ip::address as_ip(const raw_value& v) {
  boost::system::error_code ec;
  const auto a = ip::make_address(trim(as_string(v)), ec);
  if (ec) {
    throw value_error{"an IPv4 or IPv6 address"};
  }
  return a;
}

template <class E>
E as_enum(const raw_value& v, std::initializer_list<E> values) {
  const std::string s = lower(trim(as_string(v)));
  std::string names;
  for (E e : values) {
    if (s == to_string(e)) {
      return e;
    }
    names += (names.empty() ? "" : " | ") + std::string(to_string(e));
  }
  throw value_error{"one of " + names};
}

// Contact points are names or addresses without a port: "127.0.0.2:9042" is a frequent slip.
std::vector<std::string> as_hosts(const raw_value& v) {
  const auto hosts = as_list(v);
  const auto is_name_char = [](unsigned char ch) {
    return std::isalnum(ch) || ch == '-' || ch == '.';
  };
  for (const auto& h : hosts) {
    boost::system::error_code ec;
    ip::make_address(h, ec);
    if (ec && !std::all_of(h.begin(), h.end(), is_name_char)) {
      throw value_error{"host names or IP addresses without a port (the port is a key of its own)"};
    }
  }
  if (hosts.empty()) {
    throw value_error{"at least one contact point"};
  }
  return hosts;
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

// ---- the key table ----

using apply_fn = std::function<void(config&, const raw_value&)>;

struct key_spec {
  std::string name;
  apply_fn apply;
};

constexpr milliseconds one_hour{3'600'000};

void add_cluster_keys(std::vector<key_spec>& keys, const std::string& section,
                      cluster_settings& (*get)(config&)) {
  using cluster_fn = std::function<void(cluster_settings&, const raw_value&)>;
  const auto add = [&](const std::string& name, cluster_fn f) {
    keys.push_back(
        {section + "." + name, [get, f](config& c, const raw_value& v) { f(get(c), v); }});
  };
  add("contact_points", [](auto& s, const auto& v) { s.contact_points = as_hosts(v); });
  add("port", [](auto& s, const auto& v) { s.port = as_port(v); });
  add("username", [](auto& s, const auto& v) { s.username = as_string(v); });
  add("password", [](auto& s, const auto& v) { s.password = as_string(v); });
  add("local_data_center", [](auto& s, const auto& v) { s.local_data_center = as_string(v); });
  add("connect_timeout", [](auto& s, const auto& v) {
    s.connect_timeout = as_duration(v, milliseconds(1), one_hour);
  });
  add("request_timeout", [](auto& s, const auto& v) {
    s.request_timeout = as_duration(v, milliseconds(1), one_hour);
  });
  add("heartbeat_interval", [](auto& s, const auto& v) {
    s.heartbeat_interval = as_duration(v, milliseconds(1'000), one_hour);
  });
  add("tls.enabled", [](auto& s, const auto& v) { s.tls.enabled = as_bool(v); });
  add("tls.ca_file", [](auto& s, const auto& v) { s.tls.ca_file = as_string(v); });
  add("tls.cert_file", [](auto& s, const auto& v) { s.tls.cert_file = as_string(v); });
  add("tls.key_file", [](auto& s, const auto& v) { s.tls.key_file = as_string(v); });
  add("tls.verify_hostname", [](auto& s, const auto& v) { s.tls.verify_hostname = as_bool(v); });
  add("tls.server_name", [](auto& s, const auto& v) { s.tls.server_name = as_string(v); });
}

void add_proxy_keys(std::vector<key_spec>& k) {
  const auto add = [&](std::string name, apply_fn f) {
    k.push_back({std::move(name), std::move(f)});
  };
  add("proxy.listen_address",
      [](config& c, const raw_value& v) { c.proxy.listen_address = as_ip(v); });
  add("proxy.listen_port", [](config& c, const raw_value& v) { c.proxy.listen_port = as_port(v); });
  add("proxy.worker_threads", [](config& c, const raw_value& v) {
    c.proxy.worker_threads = static_cast<unsigned>(as_uint(v, 0, 256));
  });
  add("proxy.instances",
      [](config& c, const raw_value& v) { c.proxy.instances = as_endpoints(v); });
  add("proxy.data_center",
      [](config& c, const raw_value& v) { c.proxy.data_center = as_string(v); });
  add("proxy.tls.enabled", [](config& c, const raw_value& v) { c.proxy.tls.enabled = as_bool(v); });
  add("proxy.tls.cert_file",
      [](config& c, const raw_value& v) { c.proxy.tls.cert_file = as_string(v); });
  add("proxy.tls.key_file",
      [](config& c, const raw_value& v) { c.proxy.tls.key_file = as_string(v); });
  add("proxy.tls.ca_file",
      [](config& c, const raw_value& v) { c.proxy.tls.ca_file = as_string(v); });
  add("proxy.tls.require_client_cert",
      [](config& c, const raw_value& v) { c.proxy.tls.require_client_cert = as_bool(v); });
}

// routing, limits, admin, logging.
void add_policy_keys(std::vector<key_spec>& k) {
  const auto add = [&](std::string name, apply_fn f) {
    k.push_back({std::move(name), std::move(f)});
  };
  add("routing.primary", [](config& c, const raw_value& v) {
    c.routing.primary = as_enum(v, {cluster_role::source, cluster_role::target});
  });
  add("routing.write_ack", [](config& c, const raw_value& v) {
    c.routing.write_ack =
        as_enum(v, {write_ack_mode::source_authoritative, write_ack_mode::strict});
  });
  add("routing.state_file",
      [](config& c, const raw_value& v) { c.routing.state_file = as_string(v); });
  // spec v5 §2.4.1.5 / Cassandra's native_transport_max_frame_size: frames above 256MiB are
  // refused by the servers anyway; below 64KiB ordinary result pages no longer fit.
  add("limits.max_frame_bytes", [](config& c, const raw_value& v) {
    c.limits.max_frame_bytes = as_size(v, 64u << 10, 256u << 20);
  });
  // spec v4 §2.3: a connection has at most 32768 stream ids, so no more can be in flight.
  add("limits.max_in_flight_per_connection", [](config& c, const raw_value& v) {
    c.limits.max_in_flight_per_connection = static_cast<std::uint32_t>(as_uint(v, 1, 32768));
  });
  add("limits.max_client_connections", [](config& c, const raw_value& v) {
    c.limits.max_client_connections = static_cast<std::uint32_t>(as_uint(v, 1, 1'000'000));
  });
  add("limits.prepared_cache_size", [](config& c, const raw_value& v) {
    c.limits.prepared_cache_size = static_cast<std::uint32_t>(as_uint(v, 1, 10'000'000));
  });
  add("limits.drain_timeout", [](config& c, const raw_value& v) {
    c.limits.drain_timeout = as_duration(v, milliseconds(0), one_hour);
  });
  add("admin.listen_address",
      [](config& c, const raw_value& v) { c.admin.listen_address = as_ip(v); });
  add("admin.listen_port", [](config& c, const raw_value& v) { c.admin.listen_port = as_port(v); });
  add("admin.bearer_token",
      [](config& c, const raw_value& v) { c.admin.bearer_token = as_string(v); });
  add("logging.level", [](config& c, const raw_value& v) {
    c.logging.level = as_enum(v, {log_level::trace, log_level::debug, log_level::info,
                                  log_level::warn, log_level::error});
  });
  add("logging.format", [](config& c, const raw_value& v) {
    c.logging.format = as_enum(v, {log_format::text, log_format::json});
  });
}

std::uint64_t as_size64(const raw_value& v, std::uint64_t lo, std::uint64_t hi) {
  const auto n = parse_size(trim(as_string(v)));
  if (!n || *n < lo || *n > hi) {
    throw value_error{"a size like 64MiB or a number of bytes, from " + std::to_string(lo) +
                      " to " + std::to_string(hi)};
  }
  return *n;
}

// A consistency level by its CQL name (spec v4 §3 [consistency]); serial ones are for LWTs
// only and make no sense for copying.
std::string as_consistency(const raw_value& v) {
  std::string s = trim(as_string(v));
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
  static const std::set<std::string> names = {"ANY", "ONE", "TWO", "THREE", "QUORUM", "ALL",
                                              "LOCAL_QUORUM", "EACH_QUORUM", "LOCAL_ONE"};
  if (names.count(s) == 0) {
    throw value_error{"a consistency level: ONE | TWO | THREE | QUORUM | ALL | LOCAL_QUORUM | "
                      "EACH_QUORUM | LOCAL_ONE | ANY"};
  }
  return s;
}

std::vector<std::string> as_table_names(const raw_value& v) {
  auto names = as_list(v);
  for (const auto& n : names) {
    const auto dot = n.find('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == n.size() ||
        n.find('.', dot + 1) != std::string::npos) {
      throw value_error{"keyspace.table names"};
    }
  }
  return names;
}

void add_backfill_keys(std::vector<key_spec>& k) {
  const auto add = [&](std::string name, apply_fn f) {
    k.push_back({std::move(name), std::move(f)});
  };
  add("backfill.keyspaces", [](config& c, const raw_value& v) {
    c.backfill.keyspaces = v.is_null ? std::vector<std::string>{} : as_list(v);
  });
  add("backfill.tables", [](config& c, const raw_value& v) {
    c.backfill.tables = v.is_null ? std::vector<std::string>{} : as_table_names(v);
  });
  add("backfill.job", [](config& c, const raw_value& v) { c.backfill.job = as_cql_name(v); });
  add("backfill.unit_size", [](config& c, const raw_value& v) {
    c.backfill.unit_size = as_size64(v, 1u << 20, 1ull << 40);
  });
  add("backfill.page_size", [](config& c, const raw_value& v) {
    c.backfill.page_size = static_cast<std::uint32_t>(as_uint(v, 10, 100'000));
  });
  add("backfill.read_consistency",
      [](config& c, const raw_value& v) { c.backfill.read_consistency = as_consistency(v); });
  add("backfill.write_consistency",
      [](config& c, const raw_value& v) { c.backfill.write_consistency = as_consistency(v); });
  add("backfill.max_concurrency", [](config& c, const raw_value& v) {
    c.backfill.max_concurrency = static_cast<std::uint32_t>(as_uint(v, 1, 1024));
  });
  add("backfill.batch_statements", [](config& c, const raw_value& v) {
    c.backfill.batch_statements = static_cast<std::uint32_t>(as_uint(v, 1, 1000));
  });
  add("backfill.max_rows_per_second", [](config& c, const raw_value& v) {
    c.backfill.max_rows_per_second = as_uint(v, 0, 100'000'000);
  });
  add("backfill.max_bytes_per_second", [](config& c, const raw_value& v) {
    c.backfill.max_bytes_per_second = as_size64(v, 0, 1ull << 40);
  });
  add("backfill.lease", [](config& c, const raw_value& v) {
    c.backfill.lease = as_duration(v, milliseconds(1000), one_hour);
  });
  add("backfill.workers", [](config& c, const raw_value& v) {
    c.backfill.workers = static_cast<std::uint32_t>(as_uint(v, 1, 256));
  });
}

void add_validate_keys(std::vector<key_spec>& k) {
  const auto add = [&](std::string name, apply_fn f) {
    k.push_back({std::move(name), std::move(f)});
  };
  add("validate.job", [](config& c, const raw_value& v) { c.validate.job = as_cql_name(v); });
  add("validate.workers", [](config& c, const raw_value& v) {
    c.validate.workers = static_cast<std::uint32_t>(as_uint(v, 1, 256));
  });
  add("validate.page_size", [](config& c, const raw_value& v) {
    c.validate.page_size = static_cast<std::uint32_t>(as_uint(v, 10, 100'000));
  });
  add("validate.consistency",
      [](config& c, const raw_value& v) { c.validate.consistency = as_consistency(v); });
  add("validate.min_units", [](config& c, const raw_value& v) {
    c.validate.min_units = static_cast<std::uint32_t>(as_uint(v, 1, 1'000'000));
  });
  add("validate.recheck_delay", [](config& c, const raw_value& v) {
    c.validate.recheck_delay = as_duration(v, milliseconds(0), one_hour);
  });
  add("validate.ttl_slack", [](config& c, const raw_value& v) {
    c.validate.ttl_slack = std::chrono::duration_cast<std::chrono::seconds>(
        as_duration(v, milliseconds(0), one_hour));
  });
  add("validate.report_dir", [](config& c, const raw_value& v) { c.validate.report_dir = as_string(v); });
  add("cutover.max_validation_age", [](config& c, const raw_value& v) {
    c.cutover.max_validation_age = as_duration(v, milliseconds(1000), milliseconds(365ll * 24 * 3600 * 1000));
  });
}

// In the order of conf/tandem.yaml.
std::vector<key_spec> build_keys() {
  std::vector<key_spec> k;
  add_proxy_keys(k);
  add_cluster_keys(k, "source", [](config& c) -> cluster_settings& { return c.source; });
  add_cluster_keys(k, "target", [](config& c) -> cluster_settings& { return c.target; });
  k.push_back({"target.auth_mode", [](config& c, const raw_value& v) {
                 c.target.auth_mode =
                     as_enum(v, {target_auth_mode::configured, target_auth_mode::client});
               }});
  k.push_back({"target.state_keyspace", [](config& c, const raw_value& v) {
                 c.target.state_keyspace = as_cql_name(v);
               }});
  k.push_back({"target.state_replication", [](config& c, const raw_value& v) {
                 c.target.state_replication = as_replication_map(v);
               }});
  add_policy_keys(k);
  add_backfill_keys(k);
  add_validate_keys(k);
  return k;
}

const std::vector<key_spec>& key_table() {
  static const std::vector<key_spec> keys = build_keys();
  return keys;
}

const key_spec* find_key(std::string_view name) {
  const auto& keys = key_table();
  const auto it =
      std::find_if(keys.begin(), keys.end(), [&](const auto& k) { return k.name == name; });
  return it == keys.end() ? nullptr : &*it;
}

bool is_section(std::string_view name) {
  const std::string prefix = std::string(name) + ".";
  return std::any_of(key_table().begin(), key_table().end(),
                     [&](const auto& k) { return k.name.starts_with(prefix); });
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// " (did you mean source.contact_points?)" for a near miss among `candidates`, else "".
std::string suggestion(std::string_view name, const std::vector<std::string>& candidates) {
  const std::string* best = nullptr;
  std::size_t best_distance = 4;  // more than 3 edits away is not a typo
  for (const auto& c : candidates) {
    if (const auto d = edit_distance(name, c); d < best_distance) {
      best = &c;
      best_distance = d;
    }
  }
  return best == nullptr ? "" : " (did you mean " + *best + "?)";
}

std::vector<std::string> names_and_sections() {
  std::set<std::string> out;
  for (const auto& k : key_table()) {
    for (auto dot = k.name.find('.'); dot != std::string::npos; dot = k.name.find('.', dot + 1)) {
      out.insert(k.name.substr(0, dot));
    }
    out.insert(k.name);
  }
  return {out.begin(), out.end()};
}

// ---- loading ----

struct load_context {
  config c;
  std::string path;
  origin_map origins;  // key -> where its value came from, for the validation messages
};

void apply_key(load_context& ctx, const key_spec& spec, const raw_value& v,
               const std::string& origin) {
  try {
    spec.apply(ctx.c, v);
  } catch (const value_error& e) {
    throw config_error(spec.name, "config: " + spec.name + " = " + v.shown() + " (" + origin +
                                      "): expected " + e.expected);
  }
  ctx.origins[spec.name] = origin;
}

std::string where(const load_context& ctx, const YAML::Mark& m) {
  return "in " + ctx.path + (m.is_null() ? "" : " line " + std::to_string(m.line + 1));
}

raw_value yaml_value(const YAML::Node& node, const std::string& key, const std::string& origin) {
  raw_value v;
  v.is_null = node.IsNull();
  if (node.IsScalar()) {
    v.items.push_back(node.Scalar());
  } else if (node.IsSequence()) {
    v.is_list = true;
    for (const auto& item : node) {
      if (!item.IsScalar()) {
        throw config_error(key, "config: " + key + " (" + origin + "): expected a list of values");
      }
      v.items.push_back(item.Scalar());
    }
  } else if (node.IsMap()) {
    throw config_error(key,
                       "config: " + key + " (" + origin + "): expected a value, found a mapping");
  }
  return v;
}

void walk_map(load_context& ctx, const YAML::Node& node, const std::string& prefix) {
  std::set<std::string> seen;
  for (const auto& entry : node) {
    const std::string name = (prefix.empty() ? "" : prefix + ".") + entry.first.as<std::string>("");
    const std::string origin = where(ctx, entry.first.Mark());
    if (!seen.insert(name).second) {
      throw config_error(name, "config: " + name + " (" + origin + ") is set twice");
    }
    if (const key_spec* spec = find_key(name)) {
      apply_key(ctx, *spec, yaml_value(entry.second, name, origin), origin);
    } else if (is_section(name)) {
      if (!entry.second.IsMap() && !entry.second.IsNull()) {
        throw config_error(name,
                           "config: " + name + " (" + origin + "): expected a section of keys");
      }
      walk_map(ctx, entry.second, name);
    } else {
      throw config_error(name, "config: unknown key " + name + " (" + origin + ")" +
                                   suggestion(name, names_and_sections()));
    }
  }
}

void apply_file(load_context& ctx) {
  if (ctx.path.empty()) {
    return;  // no file: the defaults, then the environment
  }
  std::ifstream in(ctx.path);
  if (!readable_file(ctx.path)) {
    throw config_error("", "config: cannot read the configuration file " + ctx.path +
                               " (missing or not readable)");
  }
  std::stringstream text;
  text << in.rdbuf();
  YAML::Node root;
  try {
    root = YAML::Load(text.str());
  } catch (const YAML::Exception& e) {
    throw config_error(
        "", "config: " + ctx.path + " is not valid YAML" +
                (e.mark.is_null() ? ""
                                  : " at line " + std::to_string(e.mark.line + 1) + " column " +
                                        std::to_string(e.mark.column + 1)) +
                ": " + e.msg);
  }
  if (!root.IsMap() && !root.IsNull()) {
    throw config_error(
        "", "config: " + ctx.path + " must hold a mapping of sections (proxy, source, ...)");
  }
  walk_map(ctx, root, "");
}

void apply_env(load_context& ctx, const std::map<std::string, std::string>& env) {
  std::vector<std::string> known;
  std::set<std::string> section_prefixes;
  for (const auto& spec : key_table()) {
    known.push_back(env_var_name(spec.name));
    section_prefixes.insert(env_var_name(spec.name.substr(0, spec.name.find('.'))) + "_");
    if (const auto it = env.find(known.back()); it != env.end()) {
      apply_key(ctx, spec, raw_value{{it->second}}, "from environment variable " + it->first);
    }
  }
  // A misspelt override would otherwise be ignored in silence. Only names under a section are
  // checked: other TANDEM_* variables may belong to scripts around the proxy.
  for (const auto& [name, value] : env) {
    const bool in_section = std::any_of(section_prefixes.begin(), section_prefixes.end(),
                                        [&](const auto& p) { return name.starts_with(p); });
    if (in_section && std::find(known.begin(), known.end(), name) == known.end()) {
      throw config_error(name,
                         "config: unknown environment variable " + name + suggestion(name, known));
    }
  }
}

// proxy.instances defaults to where the proxy listens; a wildcard cannot be advertised.
void resolve_instances(config& c) {
  if (!c.proxy.instances.empty()) {
    return;
  }
  if (c.proxy.listen_address.is_unspecified()) {
    throw config_error(
        "proxy.instances",
        "config: proxy.instances is empty while proxy.listen_address is the wildcard " +
            c.proxy.listen_address.to_string() +
            ": list the address:port at which clients reach this proxy");
  }
  c.proxy.instances.push_back({c.proxy.listen_address, c.proxy.listen_port});
}

// ---- rules that span keys ----

class validator {
 public:
  // `unset_origin` names where a value not in `origins` came from ("default" after a load).
  validator(const config& c, const origin_map& origins, std::string unset_origin)
      : c_(c), origins_(origins), unset_origin_(std::move(unset_origin)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& shown,
                         const std::string& why) const {
    const auto it = origins_.find(key);
    const std::string origin = it == origins_.end() ? unset_origin_ : it->second;
    throw config_error(key, "config: " + key + " = " + shown + " (" + origin + "): " + why);
  }

  void file_exists(const std::string& key, const std::string& path,
                   const std::string& needed_by) const {
    if (path.empty()) {
      fail(key, "(empty)", "a file is required because " + needed_by + " is true");
    }
    if (!readable_file(path)) {
      fail(key, "\"" + path + "\"",
           "file not found or not readable (needed because " + needed_by + " is true)");
    }
  }

  void client_tls() const {
    const auto& t = c_.proxy.tls;
    if (!t.enabled) {
      return;
    }
    file_exists("proxy.tls.cert_file", t.cert_file, "proxy.tls.enabled");
    file_exists("proxy.tls.key_file", t.key_file, "proxy.tls.enabled");
    if (t.require_client_cert && t.ca_file.empty()) {
      fail("proxy.tls.ca_file", "(empty)",
           "a CA file is required to verify client certificates "
           "because proxy.tls.require_client_cert is true");
    }
    if (!t.ca_file.empty()) {
      file_exists("proxy.tls.ca_file", t.ca_file, "proxy.tls.enabled");
    }
  }

  void cluster(const std::string& s, const cluster_settings& cs) const {
    if (!cs.password.empty() && cs.username.empty()) {
      fail(s + ".username", "(empty)", "a user name is required because " + s + ".password is set");
    }
    if (!cs.tls.enabled) {
      return;
    }
    if (cs.tls.cert_file.empty() != cs.tls.key_file.empty()) {
      const bool has_cert = !cs.tls.cert_file.empty();
      fail(s + (has_cert ? ".tls.key_file" : ".tls.cert_file"), "(empty)",
           "a client certificate needs both " + s + ".tls.cert_file and " + s + ".tls.key_file");
    }
    for (const auto& [key, path] : {std::pair{".tls.ca_file", cs.tls.ca_file},
                                    {".tls.cert_file", cs.tls.cert_file},
                                    {".tls.key_file", cs.tls.key_file}}) {
      if (!path.empty()) {
        file_exists(s + key, path, s + ".tls.enabled");
      }
    }
  }

  void admin() const {
    const auto& a = c_.admin;
    if (!a.listen_address.is_loopback() && a.bearer_token.empty()) {
      fail("admin.listen_address", "\"" + a.listen_address.to_string() + "\"",
           "an admin port off loopback needs admin.bearer_token (DESIGN.md, the admin port)");
    }
    const auto& p = c_.proxy;
    const bool overlap = a.listen_address == p.listen_address ||
                         a.listen_address.is_unspecified() || p.listen_address.is_unspecified();
    if (overlap && a.listen_port == p.listen_port) {
      fail("admin.listen_port", std::to_string(a.listen_port),
           "the same port as proxy.listen_port");
    }
  }

  void instances() const {
    for (const auto& i : c_.proxy.instances) {
      if (i.address.is_unspecified() || i.port == 0) {
        fail("proxy.instances", format_endpoint(i),
             "a wildcard address or port cannot be advertised");
      }
    }
    if (c_.proxy.instances.empty()) {
      fail("proxy.instances", "(empty)", "expected at least one address:port");
    }
  }

  // The parsers check these already; repeated for a config built in code (validate()).
  void ranges() const {
    for (const auto& [key, port] : {std::pair{"proxy.listen_port", c_.proxy.listen_port},
                                    {"source.port", c_.source.port},
                                    {"target.port", c_.target.port},
                                    {"admin.listen_port", c_.admin.listen_port}}) {
      if (port == 0) {
        fail(key, "0", "expected a port number from 1 to 65535");
      }
    }
    if (c_.proxy.worker_threads > 256) {
      fail("proxy.worker_threads", std::to_string(c_.proxy.worker_threads),
           "expected an integer from 0 to 256");
    }
    for (const auto& [key, hosts] : {std::pair{"source.contact_points", &c_.source.contact_points},
                                     {"target.contact_points", &c_.target.contact_points}}) {
      if (hosts->empty()) {
        fail(key, "(empty)", "expected at least one contact point");
      }
    }
    const auto frame = c_.limits.max_frame_bytes;
    if (frame < (64u << 10) || frame > (256u << 20)) {
      fail("limits.max_frame_bytes", format_size(frame), "expected a size from 64KiB to 256MiB");
    }
    const auto in_flight = c_.limits.max_in_flight_per_connection;
    if (in_flight < 1 || in_flight > 32768) {
      fail("limits.max_in_flight_per_connection", std::to_string(in_flight),
           "expected an integer from 1 to 32768");
    }
  }

  void run() const {
    ranges();
    instances();
    client_tls();
    cluster("source", c_.source);
    cluster("target", c_.target);
    admin();
  }

 private:
  const config& c_;
  const origin_map& origins_;
  std::string unset_origin_;
};

}  // namespace

std::string_view to_string(cluster_role r) noexcept {
  return r == cluster_role::source ? "source" : "target";
}

std::string_view to_string(write_ack_mode m) noexcept {
  return m == write_ack_mode::strict ? "strict" : "source_authoritative";
}

std::string_view to_string(target_auth_mode m) noexcept {
  return m == target_auth_mode::client ? "client" : "configured";
}

std::string_view to_string(log_level l) noexcept {
  static constexpr std::string_view names[] = {"trace", "debug", "info", "warn", "error"};
  return names[static_cast<int>(l)];
}

std::string_view to_string(log_format f) noexcept {
  return f == log_format::json ? "json" : "text";
}

config default_config() {
  config c;
  resolve_instances(c);
  return c;
}

config load_config(const std::string& path, const std::map<std::string, std::string>& env) {
  load_context ctx{config{}, path, {}};
  apply_file(ctx);
  apply_env(ctx, env);
  resolve_instances(ctx.c);
  validator(ctx.c, ctx.origins, "default").run();
  return std::move(ctx.c);
}

config load_config_from_process(const std::string& path) {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    if (const auto eq = entry.find('=');
        entry.starts_with("TANDEM_") && eq != std::string_view::npos) {
      env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
    }
  }
  return load_config(path, env);
}

void validate(const config& c) {
  validator(c, origin_map{}, "set in code").run();
}

unsigned effective_worker_threads(const proxy_settings& p) {
  return p.worker_threads != 0 ? p.worker_threads
                               : std::max(1u, std::thread::hardware_concurrency());
}

const std::vector<std::string>& config_keys() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& k : key_table()) {
      out.push_back(k.name);
    }
    return out;
  }();
  return names;
}

std::string env_var_name(std::string_view dotted_key) {
  std::string out = "TANDEM_";
  for (char ch : dotted_key) {
    out += ch == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  return out;
}

std::optional<milliseconds> parse_duration(std::string_view text) {
  if (text == "0") {
    return milliseconds(0);
  }
  const auto digits_end = text.find_first_not_of("0123456789");
  // At most 9 digits: even 999999999h fits in milliseconds' 64 bits.
  if (digits_end == 0 || digits_end == std::string_view::npos || digits_end > 9) {
    return std::nullopt;
  }
  std::int64_t n = 0;
  std::from_chars(text.data(), text.data() + digits_end, n);
  const std::string_view unit = text.substr(digits_end);
  static constexpr std::pair<std::string_view, std::int64_t> units[] = {
      {"ms", 1}, {"s", 1'000}, {"m", 60'000}, {"h", 3'600'000}};
  for (const auto& [name, factor] : units) {
    if (unit == name) {
      return milliseconds(n * factor);
    }
  }
  return std::nullopt;
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  const auto digits_end = std::min(text.find_first_not_of("0123456789"), text.size());
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + digits_end, n);
  if (digits_end == 0 || ec != std::errc()) {
    return std::nullopt;
  }
  const std::string_view unit = text.substr(digits_end);
  static constexpr std::pair<std::string_view, std::uint64_t> units[] = {
      {"", 1}, {"B", 1}, {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30}};
  for (const auto& [name, factor] : units) {
    if (unit == name) {
      if (n > UINT64_MAX / factor) {
        return std::nullopt;
      }
      return n * factor;
    }
  }
  return std::nullopt;
}

std::string describe(const config& c) {
  const auto cluster_line = [](std::string_view name, const cluster_settings& s) {
    std::string hosts;
    for (const auto& h : s.contact_points) {
      hosts += (hosts.empty() ? "" : ",") + h;
    }
    return std::string(name) + " " + hosts + " port " + std::to_string(s.port) +
           (s.username.empty() ? ", no credentials" : ", user " + s.username) +
           (s.local_data_center.empty() ? "" : ", dc " + s.local_data_center) +
           (s.tls.enabled ? ", TLS on" : ", TLS off") + ", timeouts connect " +
           format_duration(s.connect_timeout) + " request " + format_duration(s.request_timeout) +
           " heartbeat " + format_duration(s.heartbeat_interval);
  };
  std::string instances;
  for (const auto& i : c.proxy.instances) {
    instances += (instances.empty() ? "" : ",") + format_endpoint(i);
  }
  std::ostringstream out;
  out << "listen " << format_endpoint({c.proxy.listen_address, c.proxy.listen_port}) << ", "
      << effective_worker_threads(c.proxy) << " worker threads"
      << (c.proxy.worker_threads == 0 ? " (one per core)" : "") << ", client TLS "
      << (c.proxy.tls.enabled ? "on" : "off") << ", advertised as " << instances << "\n"
      << cluster_line("source", c.source) << "\n"
      << cluster_line("target", c.target) << ", auth " << to_string(c.target.auth_mode)
      << ", state keyspace " << c.target.state_keyspace << "\n"
      << "routing primary " << to_string(c.routing.primary) << ", write_ack "
      << to_string(c.routing.write_ack)
      << (c.routing.state_file.empty() ? "" : ", state file " + c.routing.state_file) << "\n"
      << "limits frame " << format_size(c.limits.max_frame_bytes) << ", in-flight/connection "
      << c.limits.max_in_flight_per_connection << ", clients " << c.limits.max_client_connections
      << ", prepared cache " << c.limits.prepared_cache_size << ", drain "
      << format_duration(c.limits.drain_timeout) << "\n"
      << "admin " << format_endpoint({c.admin.listen_address, c.admin.listen_port})
      << (c.admin.bearer_token.empty() ? " without token" : " with bearer token") << ", log "
      << to_string(c.logging.level) << " " << to_string(c.logging.format);
  return out.str();
}

}  // namespace tandem::proxy
