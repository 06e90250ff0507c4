// The rules that span keys, checked after a load (and by validate() for a configuration built
// in code): files that TLS needs exist, a certificate comes with its key, an admin port off
// loopback has a token, ports do not collide. And describe(), the start-up log's summary.
#include "proxy/config.hpp"

#include <sstream>

namespace tandem::proxy {
namespace {

using namespace client;
using origin_map = std::map<std::string, std::string>;

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

void check_rules(const config& c, const origin_map& origins, const std::string& unset_origin) {
  validator(c, origins, unset_origin).run();
}

void validate(const config& c) {
  check_rules(c, origin_map{}, "set in code");
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
      << (c.journal.dir.empty()
              ? std::string("journal off (failed target writes are counted and logged only)")
              : "journal " + c.journal.dir + ", sync every " +
                    format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(
                        c.journal.sync_interval)) +
                    ", at most " + format_size(c.journal.max_bytes) + ", when full " +
                    std::string(to_string(c.journal.on_full)))
      << "\n"
      << "admin " << format_endpoint({c.admin.listen_address, c.admin.listen_port})
      << (c.admin.bearer_token.empty() ? " without token" : " with bearer token") << ", log "
      << to_string(c.logging.level) << " " << to_string(c.logging.format);
  return out.str();
}
}  // namespace tandem::proxy
