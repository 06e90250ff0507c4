// The pieces every section of the configuration is made of (DESIGN.md "Configuration", STYLE.md
// rule 10): a key's raw text, the parsers that turn it into a typed value or say what was
// expected, and the key table type. Each module declares its own section's keys with these
// beside the code that uses them (client/cluster_settings, backfill/settings,
// proxy/proxy_settings); proxy/config composes the sections into the one table that the file
// walker, the environment pass and config_keys() share. No YAML here: the loader owns that.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::client {

class config_error : public std::runtime_error {
 public:
  config_error(std::string key, const std::string& message)
      : std::runtime_error(message), key_(std::move(key)) {}

  // The dotted key at fault ("source.port"), or "" when no key is (missing file, bad YAML).
  const std::string& key() const noexcept { return key_; }

 private:
  std::string key_;
};

// A key's text before parsing: one item for a scalar, several for a YAML sequence.
struct raw_value {
  std::vector<std::string> items;
  bool is_list = false;
  bool is_null = false;

  // The value as an error message shows it: "text", [a, b] or (empty).
  std::string shown() const;
};

// Thrown by the parsers with what was expected; the loader adds the key, origin and value.
struct value_error {
  std::string expected;
};

// One key of a section: its dotted name below the section ("tls.enabled") and how its value
// is stored into the section's settings struct.
template <class Section>
struct key_spec {
  std::string name;
  std::function<void(Section&, const raw_value&)> apply;
};

template <class Section>
using key_list = std::vector<key_spec<Section>>;

// Appends `keys` to `out` as "<prefix>.<name>", applied to the section `get` picks out of the
// whole configuration.
template <class Root, class Section, class Get>
void add_section(key_list<Root>& out, const std::string& prefix, Get get,
                 const key_list<Section>& keys) {
  for (const auto& k : keys) {
    out.push_back({prefix + "." + k.name,
                   [get, apply = k.apply](Root& r, const raw_value& v) { apply(get(r), v); }});
  }
}

constexpr std::chrono::milliseconds one_hour{3'600'000};

std::string trim(std::string_view s);
std::string lower(std::string_view s);
// A directory opens as an ifstream on Linux and then reads as empty: refuse it by name.
bool readable_file(const std::string& path);
std::string format_duration(std::chrono::milliseconds d);
std::string format_size(std::uint64_t n);

// ---- parsers: raw text -> typed value, or value_error naming what was expected ----
std::string as_string(const raw_value& v);
// An unquoted CQL keyspace name: letters, digits and underscores, at most 48 (Cassandra's
// SchemaConstants.NAME_LENGTH), not starting with a digit.
std::string as_cql_name(const raw_value& v);
// A CQL map literal for CREATE KEYSPACE ... WITH replication = <it>; only its shape is checked
// here, the target checks the rest when the keyspace is created.
std::string as_replication_map(const raw_value& v);
// A YAML sequence, or a comma-separated string (the only way to write a list in a variable).
std::vector<std::string> as_list(const raw_value& v);
bool as_bool(const raw_value& v);
// `expected` replaces the generic "an integer from lo to hi" where a name says more.
std::uint64_t as_uint(const raw_value& v, std::uint64_t lo, std::uint64_t hi,
                      std::string expected = {});
std::uint16_t as_port(const raw_value& v);
std::chrono::milliseconds as_duration(const raw_value& v, std::chrono::milliseconds lo,
                                      std::chrono::milliseconds hi);
std::uint32_t as_size(const raw_value& v, std::uint32_t lo, std::uint32_t hi);
std::uint64_t as_size64(const raw_value& v, std::uint64_t lo, std::uint64_t hi);
// A consistency level by its CQL name (spec v4 §3 [consistency]); serial ones are for LWTs
// only and make no sense for copying.
std::string as_consistency(const raw_value& v);
// "keyspace.table" names.
std::vector<std::string> as_table_names(const raw_value& v);
// Contact points are names or addresses without a port: "127.0.0.2:9042" is a frequent slip.
std::vector<std::string> as_hosts(const raw_value& v);

// One of `values`, by the name to_string(E) gives it, case-insensitive.
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

// The environment variable overriding a dotted key: "source.tls.enabled" ->
// "TANDEM_SOURCE_TLS_ENABLED".
std::string env_var_name(std::string_view dotted_key);

// "500ms", "10s", "2m", "1h" or "0"; nullopt for anything else (no fractions, no bare numbers
// other than 0: "10" could mean seconds or milliseconds).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// "256MiB", "64KiB", "1GiB", "512B" or a bare number of bytes; nullopt for anything else,
// including decimal units ("64KB"), which are ambiguous.
std::optional<std::uint64_t> parse_size(std::string_view text);

}  // namespace tandem::client
