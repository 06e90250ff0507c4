// What every client session shares: the configuration (immutable after start), the routing
// choice (switchable at run time), prepared-statement ids, the write clock and the counters.
#pragma once

#include "client/cluster_connection.hpp"
#include "proxy/config.hpp"
#include "proxy/journal.hpp"
#include "proxy/metrics.hpp"
#include "proxy/node_rotation.hpp"
#include "client/token_map.hpp"
#include "proxy/prepared_id_map.hpp"
#include "proxy/proxy_stats.hpp"
#include "proxy/routing.hpp"
#include "proxy/status_history.hpp"
#include "client/tls_context.hpp"
#include "proxy/topology.hpp"
#include "client/write_clock.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <random>
#include <utility>

namespace tandem::proxy {

namespace asio = boost::asio;

// Admits at most `per_second` log lines a second across all threads; admit() returns how
// many were refused since the last admitted one, or nullopt when this one is refused.
class log_rate_limiter {
 public:
  explicit log_rate_limiter(int per_second) : per_second_(per_second) {}

  std::optional<std::uint64_t> admit() {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (now - window_start_ >= std::chrono::seconds(1)) {
      window_start_ = now;
      in_window_ = 0;
    }
    if (in_window_ >= per_second_) {
      ++refused_;
      return std::nullopt;
    }
    ++in_window_;
    return std::exchange(refused_, 0);
  }

 private:
  std::mutex mutex_;
  const int per_second_;
  int in_window_ = 0;
  std::uint64_t refused_ = 0;
  std::chrono::steady_clock::time_point window_start_{};
};

// What the last successful probe of a cluster said (for the status API).
struct cluster_identity {
  std::string release_version;
  std::string cluster_name;
  std::string data_center;
};

struct proxy_context {
  // Throws config_error when a TLS file cannot be used.
  explicit proxy_context(config c)
      : cfg(std::move(c)),
        client_tls(client::make_server_tls(cfg.proxy.tls)),
        source_tls(client::make_cluster_tls(cfg.source.tls, "source")),
        target_tls(client::make_cluster_tls(cfg.target.tls, "target")),
        prepared(cfg.limits.prepared_cache_size) {
    primary.store(cfg.routing.primary == cluster_role::target ? cluster::target : cluster::source);
  }

  const config cfg;
  // TLS contexts (nullptr where TLS is off), shared by every connection on every thread.
  const std::shared_ptr<boost::asio::ssl::context> client_tls;
  const std::shared_ptr<boost::asio::ssl::context> source_tls;
  const std::shared_ptr<boost::asio::ssl::context> target_tls;
  proxy_stats stats;
  // Whole client requests, from the frame read to the answer queued.
  latency_histogram client_latency;
  // Requests to each cluster, from sending to the answer (index: cluster).
  std::array<latency_histogram, 2> cluster_latency;
  // The last 15 minutes in 5 s points (status_history.hpp), for the charts and `tandem status`.
  status_history history;
  // Requests sent to each cluster by opcode (index: cluster, then the opcode's value).
  cluster_request_counts cluster_requests;
  error_counters cluster_errors;
  // Mirrored requests both clusters refused, by the primary's error code (issue 13): the same
  // answer from both is agreement, counted here and never as a target failure.
  error_counters mirrored_rejected;
  const std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  // Whether each cluster answered the health monitor's last OPTIONS (index: cluster), and why
  // not; the listener's state. /health/ready needs all three.
  std::array<std::atomic<bool>, 2> reachable{};
  std::atomic<bool> listening{false};
  // Shadow reads (admin API): the share of reads also sent to the secondary and compared.
  std::atomic<double> shadow_sample{0.0};
  std::atomic<cluster> primary{cluster::source};
  prepared_id_map prepared;
  client::write_clock clock;
  // T0: the first mirrored write's timestamp (DESIGN.md), lowered by any later mirrored write
  // that carries an earlier (client) timestamp; 0 until the first write.
  std::atomic<std::int64_t> t0{0};
  // T0 as stored on the target (the earliest of all proxies'); 0 until recorded.
  std::atomic<std::int64_t> t0_recorded{0};
  // When a mirrored write last failed on the target (system clock, µs; 0: never since start).
  // Recorded on the target for the cutover gate (failure_record.hpp).
  std::atomic<std::int64_t> last_target_write_failure_us{0};
  // Client requests being served, all sessions together: shutdown drains this to zero.
  per_thread_level requests_in_flight;
  // What system.local/peers answers report; set once before the first client is accepted.
  topology_settings topology;
  log_rate_limiter failure_log{5};
  // The write-ahead journal (journal.dir); null when it is off. Opened before the listener.
  std::unique_ptr<class journal> journal;
  // The last time the full journal could not keep a write (journal.on_full: record_gap), µs.
  std::atomic<std::int64_t> journal_gap_first_us{0};
  std::atomic<std::int64_t> journal_gap_last_us{0};
  std::atomic<unsigned> journal_replay_limit{0};  // the replayer's concurrency now
  // This proxy's name in the facts it records on the target: host name and listen port, so a
  // restarted proxy takes over its own rows. Set once before the first client is accepted.
  std::string instance_name;

  routing_state routing() const noexcept { return routing_state{primary.load(), true}; }
  ack_mode write_ack() const noexcept {
    return cfg.routing.write_ack == write_ack_mode::strict ? ack_mode::strict
                                                           : ack_mode::source_authoritative;
  }

  const std::shared_ptr<boost::asio::ssl::context>& cluster_tls(cluster c) const noexcept {
    return c == cluster::source ? source_tls : target_tls;
  }

  // The nodes of cluster c that client connections go to: those discovered from system.peers
  // (node_discovery.hpp), or the contact points until a discovery succeeds.
  void set_nodes(cluster c, std::vector<client::cluster_endpoint> nodes) {
    std::lock_guard lock(nodes_mutex_);
    rotation(c).set_nodes(std::move(nodes));
  }
  std::vector<client::cluster_endpoint> nodes(cluster c) const {
    std::lock_guard lock(nodes_mutex_);
    const auto& known = rotation_[static_cast<std::size_t>(c)].nodes();
    return known.empty() ? contact_points(c) : known;
  }

  // Round-robin over nodes(c), skipping for a while the nodes just marked down.
  client::cluster_endpoint next_node(cluster c) {
    std::lock_guard lock(nodes_mutex_);
    auto& r = rotation(c);
    if (r.nodes().empty()) {
      r.set_nodes(contact_points(c));
    }
    return r.next(node_rotation::clock::now());
  }
  // A connection to `e` failed or was lost (down), or just succeeded (up).
  void mark_node(cluster c, const client::cluster_endpoint& e, bool up) {
    std::lock_guard lock(nodes_mutex_);
    if (up) {
      rotation(c).mark_up(e);
    } else {
      rotation(c).mark_down(e, node_rotation::clock::now());
    }
  }

  bool node_is_down(cluster c, const client::cluster_endpoint& e) const {
    std::lock_guard lock(nodes_mutex_);
    return rotation_[static_cast<std::size_t>(c)].is_down(e, node_rotation::clock::now());
  }
  // Whether `e` is one of the nodes client connections may go to (local_data_center).
  bool serves_clients(cluster c, const client::cluster_endpoint& e) const {
    std::lock_guard lock(nodes_mutex_);
    const auto& known = rotation_[static_cast<std::size_t>(c)].nodes();
    return std::find(known.begin(), known.end(), e) != known.end();
  }

  // Cluster c's token map (token-aware routing, issue 15); null until a probe read one.
  void set_token_map(cluster c, std::shared_ptr<const client::token_map> m) {
    std::lock_guard lock(nodes_mutex_);
    token_maps_[static_cast<std::size_t>(c)] = std::move(m);
    token_maps_generation.fetch_add(1, std::memory_order_release);
  }
  // Bumped by each set_token_map: a session keeps its copies of the maps until it changes, so
  // a request takes no lock and no reference count to find its replicas (issue 17).
  std::atomic<std::uint64_t> token_maps_generation{0};
  std::shared_ptr<const client::token_map> token_map(cluster c) const {
    std::lock_guard lock(nodes_mutex_);
    return token_maps_[static_cast<std::size_t>(c)];
  }
  // A session met a keyspace the token maps do not know (made since the last discovery): the
  // node refresher reads the clusters again soon (proxy_server.cpp refresh_nodes).
  std::atomic<bool> token_maps_stale{false};

  client::cluster_connection_settings connection_settings(cluster c, protocol::protocol_version v) {
    return connection_settings_to(c, v, next_node(c));
  }
  client::cluster_connection_settings connection_settings_to(cluster c, protocol::protocol_version v,
                                                             client::cluster_endpoint node) {
    const client::cluster_settings& s = c == cluster::source ? cfg.source : cfg.target;
    client::cluster_connection_settings out;
    out.endpoint = std::move(node);
    out.name = cluster_name(c);
    out.version = v;
    out.connect_timeout = s.connect_timeout;
    out.request_timeout = s.request_timeout;
    out.limits.max_body = cfg.limits.max_frame_bytes;
    out.max_in_flight = cfg.limits.max_in_flight_per_connection;
    out.heartbeat_interval = s.heartbeat_interval;
    out.tls = cluster_tls(c);
    out.verify_hostname = s.tls.verify_hostname;
    out.server_name = s.tls.server_name;
    return out;
  }

  // A number in [0, 1) for sampling (shadow reads).
  double random_unit() {
    std::lock_guard lock(rng_mutex_);
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  }

  void set_identity(cluster c, cluster_identity id) {
    std::lock_guard lock(nodes_mutex_);
    identities_[static_cast<std::size_t>(c)] = std::move(id);
  }
  cluster_identity identity(cluster c) const {
    std::lock_guard lock(nodes_mutex_);
    return identities_[static_cast<std::size_t>(c)];
  }

  void set_unreachable_reason(cluster c, std::string why) {
    std::lock_guard lock(nodes_mutex_);
    (c == cluster::source ? source_unreachable_ : target_unreachable_) = std::move(why);
  }
  std::string unreachable_reason(cluster c) const {
    std::lock_guard lock(nodes_mutex_);
    return c == cluster::source ? source_unreachable_ : target_unreachable_;
  }

  // Random bits for uuid() literals; a mutex because sessions on every thread draw from it.
  std::array<std::uint8_t, 16> random_bits() {
    std::lock_guard lock(rng_mutex_);
    std::array<std::uint8_t, 16> out{};
    for (auto& b : out) {
      b = static_cast<std::uint8_t>(rng_());
    }
    return out;
  }

 private:
  mutable std::mutex nodes_mutex_;
  std::array<node_rotation, 2> rotation_;  // index: cluster
  std::array<std::shared_ptr<const client::token_map>, 2> token_maps_;
  node_rotation& rotation(cluster c) { return rotation_[static_cast<std::size_t>(c)]; }
  std::vector<client::cluster_endpoint> contact_points(cluster c) const {
    const client::cluster_settings& s = c == cluster::source ? cfg.source : cfg.target;
    std::vector<client::cluster_endpoint> out;
    for (const auto& host : s.contact_points) {
      out.push_back(client::cluster_endpoint{host, s.port});
    }
    return out;
  }
  std::array<cluster_identity, 2> identities_;
  std::string source_unreachable_ = "not checked yet";
  std::string target_unreachable_ = "not checked yet";
  std::mutex rng_mutex_;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace tandem::proxy
