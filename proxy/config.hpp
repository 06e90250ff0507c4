// The proxy's configuration: one typed snapshot, loaded once at start from a YAML file
// (conf/tandem.yaml documents every key) with every key overridable by an environment variable
// TANDEM_<SECTION>_<KEY> (DESIGN.md "Configuration", STYLE.md rule 10). Durations, sizes,
// addresses and enums are parsed here, at load, never at use. A bad value, an unknown key or a
// missing file throws config_error naming the key, where the value came from, the value and
// what was expected: the start stops before a socket is opened.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::proxy {

class config_error : public std::runtime_error {
 public:
  config_error(std::string key, const std::string& message)
      : std::runtime_error(message), key_(std::move(key)) {}

  // The dotted key at fault ("source.port"), or "" when no key is (missing file, bad YAML).
  const std::string& key() const noexcept { return key_; }

 private:
  std::string key_;
};

enum class cluster_role { source, target };
enum class write_ack_mode { source_authoritative, strict };
// How the target is authenticated: with target.username/password, or with what the client sent.
enum class target_auth_mode { configured, client };
enum class log_level { trace, debug, info, warn, error };
enum class log_format { text, json };

std::string_view to_string(cluster_role r) noexcept;
std::string_view to_string(write_ack_mode m) noexcept;
std::string_view to_string(target_auth_mode m) noexcept;
std::string_view to_string(log_level l) noexcept;
std::string_view to_string(log_format f) noexcept;

// An IP address and port, as advertised in the topology answers (system.peers holds inets).
struct socket_address {
  boost::asio::ip::address address;
  std::uint16_t port = 0;

  friend bool operator==(const socket_address&, const socket_address&) = default;
};

// TLS between clients and the proxy (the proxy is the server).
struct client_tls_settings {
  bool enabled = false;
  std::string cert_file;
  std::string key_file;
  std::string ca_file;  // when set, client certificates are verified against it
  bool require_client_cert = false;

  friend bool operator==(const client_tls_settings&, const client_tls_settings&) = default;
};

// TLS between the proxy and a cluster (the proxy is the client).
struct cluster_tls_settings {
  bool enabled = false;
  std::string ca_file;  // empty: the system's trust store
  std::string cert_file;
  std::string key_file;
  bool verify_hostname = true;
  std::string server_name;  // empty: the contact point's name

  friend bool operator==(const cluster_tls_settings&, const cluster_tls_settings&) = default;
};

struct proxy_settings {
  boost::asio::ip::address listen_address = boost::asio::ip::address_v4::loopback();
  std::uint16_t listen_port = 9042;
  unsigned worker_threads = 0;  // 0: one per core (see effective_worker_threads)
  // Never empty after load: when not configured it is {listen_address:listen_port}.
  std::vector<socket_address> instances;
  std::string data_center;  // empty: the source's
  client_tls_settings tls;

  friend bool operator==(const proxy_settings&, const proxy_settings&) = default;
};

struct cluster_settings {
  std::vector<std::string> contact_points;  // host names or IP addresses, never empty
  std::uint16_t port = 9042;
  std::string username;
  std::string password;
  std::string local_data_center;
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds request_timeout{10'000};
  std::chrono::milliseconds heartbeat_interval{30'000};
  cluster_tls_settings tls;

  friend bool operator==(const cluster_settings&, const cluster_settings&) = default;
};

struct target_settings : cluster_settings {
  target_auth_mode auth_mode = target_auth_mode::configured;
  // Where the proxy (T0) and the backfill (checkpoints) keep their state on the target.
  std::string state_keyspace = "tandem";
  // The replication map the state keyspace is created with, when it does not exist yet.
  std::string state_replication = "{'class': 'SimpleStrategy', 'replication_factor': 1}";

  friend bool operator==(const target_settings&, const target_settings&) = default;
};

struct routing_settings {
  cluster_role primary = cluster_role::source;
  write_ack_mode write_ack = write_ack_mode::source_authoritative;
  std::string state_file;  // empty: the routing state is not persisted

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

// The backfill (tandem backfill, and the admin port's /api/v1/backfill): what to copy and how
// gently (issue 5, DESIGN.md "The backfill").
struct backfill_settings {
  std::vector<std::string> keyspaces;  // empty: every keyspace but the system ones and the state one
  std::vector<std::string> tables;     // "ks.table"; empty: every table of `keyspaces`
  std::string job = "default";         // the name the plan and checkpoints are kept under
  std::uint64_t unit_size = 64ull << 20;  // estimated bytes per work unit (system.size_estimates)
  std::uint32_t page_size = 1000;         // rows per source page
  std::string read_consistency = "LOCAL_QUORUM";
  std::string write_consistency = "LOCAL_QUORUM";
  std::uint32_t max_concurrency = 32;     // write requests in flight, the AIMD ceiling
  std::uint32_t batch_statements = 16;    // statements of one partition per UNLOGGED BATCH
  std::uint64_t max_rows_per_second = 0;  // 0: no ceiling
  std::uint64_t max_bytes_per_second = 0; // 0: no ceiling
  std::chrono::milliseconds lease{30'000};  // a unit's claim expires this long after its last renewal
  std::uint32_t workers = 4;                // units copied at the same time by one process

  friend bool operator==(const backfill_settings&, const backfill_settings&) = default;
};

// The validation (tandem validate) and the cutover gate (tandem cutover check, GET
// /api/v1/cutover): issue 6, DESIGN.md "Validation".
struct validate_settings {
  std::string job = "default";              // the name rounds and results are kept under
  std::uint32_t workers = 4;                // units validated at the same time by one process
  std::uint32_t page_size = 1000;           // rows per page, on each cluster
  std::string consistency = "LOCAL_QUORUM"; // reads on both clusters and the repair's writes
  std::uint32_t min_units = 32;             // a table is split into at least this many units
  std::chrono::milliseconds recheck_delay{2'000};  // a difference is read again after this long
  std::chrono::seconds ttl_slack{10};       // TTLs differ only beyond the scan's age plus this
  std::string report_dir = ".";             // where the JSON-lines reports are written

  friend bool operator==(const validate_settings&, const validate_settings&) = default;
};

struct cutover_settings {
  // The last clean validation of every table must be at most this old.
  std::chrono::milliseconds max_validation_age{24ll * 3600 * 1000};

  friend bool operator==(const cutover_settings&, const cutover_settings&) = default;
};

namespace detail {
template <class Settings>
Settings with_contact_point(std::string host) {
  Settings s;
  s.contact_points = {std::move(host)};
  return s;
}
}  // namespace detail

// Use default_config() rather than config{}: it also resolves proxy.instances.
struct config {
  proxy_settings proxy;
  cluster_settings source = detail::with_contact_point<cluster_settings>("127.0.0.2");
  target_settings target = detail::with_contact_point<target_settings>("127.0.0.3");
  routing_settings routing;
  limits_settings limits;
  admin_settings admin;
  logging_settings logging;
  backfill_settings backfill;
  validate_settings validate;
  cutover_settings cutover;

  friend bool operator==(const config&, const config&) = default;
};

// The configuration with every key at its default (what an empty YAML file and no environment
// give): proxy on 127.0.0.1:9042, source 127.0.0.2, target 127.0.0.3.
config default_config();

// Loads `path` (an empty path: the defaults) and applies `env` (variable name -> value; only TANDEM_* names matter), then
// validates. Pure apart from reading the files it names, so tests pass their own environment.
// Throws config_error.
config load_config(const std::string& path, const std::map<std::string, std::string>& env);

// load_config with the process environment.
config load_config_from_process(const std::string& path);

// Checks the rules that span keys (TLS files exist, cert and key together, an admin port off
// loopback has a token, ...); load_config calls it. Throws config_error.
void validate(const config& c);

// A few lines for the start-up log. Never contains a password or the bearer token.
std::string describe(const config& c);

// proxy.worker_threads, with 0 resolved to the number of cores (at least 1).
unsigned effective_worker_threads(const proxy_settings& p);

// Every dotted key the file may hold ("source.tls.enabled"), in file order.
const std::vector<std::string>& config_keys();

// The environment variable overriding a dotted key: "source.tls.enabled" ->
// "TANDEM_SOURCE_TLS_ENABLED".
std::string env_var_name(std::string_view dotted_key);

// "500ms", "10s", "2m", "1h" or "0"; nullopt for anything else (no fractions, no bare numbers
// other than 0: "10" could mean seconds or milliseconds).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// "256MiB", "64KiB", "1GiB", "512B" or a bare number of bytes; nullopt for anything else,
// including decimal units ("64KB"), which are ambiguous.
std::optional<std::uint64_t> parse_size(std::string_view text);

}  // namespace tandem::proxy
