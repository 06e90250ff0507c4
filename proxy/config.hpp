// The whole configuration: one typed snapshot, loaded once at start from a YAML file
// (conf/tandem.yaml documents every key) with every key overridable by an environment variable
// TANDEM_<SECTION>_<KEY> (DESIGN.md "Configuration", STYLE.md rule 10). Each module owns its
// sections and their keys (client/cluster_settings, backfill/settings, proxy/proxy_settings);
// this loader composes them into one key table, so the file, the variables and config_keys()
// cannot disagree. Durations, sizes, addresses and enums are parsed at load, never at use. A
// bad value, an unknown key or a missing file throws client::config_error naming the key, where
// the value came from, the value and what was expected: the start stops before a socket opens.
#pragma once

#include "backfill/settings.hpp"
#include "client/cluster_settings.hpp"
#include "client/settings_values.hpp"
#include "proxy/proxy_settings.hpp"

#include <map>
#include <string>
#include <vector>

namespace tandem::proxy {

using client::config_error;

// The clusters' and the backfill's sections (the base) and the proxy's own. The proxy hands
// the base to the backfill it embeds. Use default_config() rather than config{}: it also
// resolves proxy.instances.
struct config : backfill::migration_settings {
  proxy_settings proxy;
  routing_settings routing;
  limits_settings limits;
  journal_settings journal;
  admin_settings admin;
  logging_settings logging;

  friend bool operator==(const config&, const config&) = default;
};

// The configuration with every key at its default (what an empty YAML file and no environment
// give): proxy on 127.0.0.1:9042, source 127.0.0.2, target 127.0.0.3.
config default_config();

// Loads `path` (an empty path: the defaults) and applies `env` (variable name -> value; only
// TANDEM_* names matter), then validates. Pure apart from reading the files it names, so tests
// pass their own environment. Throws config_error.
config load_config(const std::string& path, const std::map<std::string, std::string>& env);

// load_config with the process environment.
config load_config_from_process(const std::string& path);

// Checks the rules that span keys (TLS files exist, cert and key together, an admin port off
// loopback has a token, ...); load_config calls it. Throws config_error.
void validate(const config& c);

// The same, naming where each key's value came from (`origins`: key -> "in FILE line N",
// "from environment variable X"; keys not in it came from `unset_origin`).
void check_rules(const config& c, const std::map<std::string, std::string>& origins,
                 const std::string& unset_origin);

// A few lines for the start-up log. Never contains a password or the bearer token.
std::string describe(const config& c);

// Every dotted key the file may hold ("source.tls.enabled"), in file order.
const std::vector<std::string>& config_keys();

}  // namespace tandem::proxy
