// The settings of one cluster (the `source` and `target` sections of conf/tandem.yaml): where
// its nodes are, how to log in, timeouts and TLS; the target's also say where Tandem keeps its
// own state. The keys are declared here, beside the struct; proxy/config composes them.
#pragma once

#include "client/settings_values.hpp"
#include "client/tls_settings.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::client {

// How the target is authenticated: with target.username/password, or with what the client sent.
enum class target_auth_mode { configured, client };

std::string_view to_string(target_auth_mode m) noexcept;

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

// A cluster's settings with one contact point and every other key at its default.
template <class Settings>
Settings with_contact_point(std::string host) {
  Settings s;
  s.contact_points = {std::move(host)};
  return s;
}

// The keys of a `source` section, in conf/tandem.yaml's order.
key_list<cluster_settings> cluster_keys();
// The keys of the `target` section: a cluster's, then auth_mode and the state keyspace.
key_list<target_settings> target_keys();

}  // namespace tandem::client
