#include "client/cluster_settings.hpp"

namespace tandem::client {

using std::chrono::milliseconds;

std::string_view to_string(target_auth_mode m) noexcept {
  return m == target_auth_mode::client ? "client" : "configured";
}

namespace {

// Written once for both sections: the target's settings are a cluster's and more.
template <class Settings>
void add_cluster_keys(key_list<Settings>& keys) {
  const auto add = [&](std::string name, std::function<void(Settings&, const raw_value&)> f) {
    keys.push_back({std::move(name), std::move(f)});
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

}  // namespace

key_list<cluster_settings> cluster_keys() {
  key_list<cluster_settings> k;
  add_cluster_keys(k);
  return k;
}

key_list<target_settings> target_keys() {
  key_list<target_settings> k;
  add_cluster_keys(k);
  k.push_back({"auth_mode", [](target_settings& t, const raw_value& v) {
                 t.auth_mode = as_enum(v, {target_auth_mode::configured, target_auth_mode::client});
               }});
  k.push_back({"state_keyspace", [](target_settings& t, const raw_value& v) {
                 t.state_keyspace = as_cql_name(v);
               }});
  k.push_back({"state_replication", [](target_settings& t, const raw_value& v) {
                 t.state_replication = as_replication_map(v);
               }});
  return k;
}

}  // namespace tandem::client
