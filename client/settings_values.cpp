// The value parsers of client/settings_values.hpp; the messages they throw are the "expected"
// part of the loader's errors, so they read as the end of "config: key = value (origin): expected ...".
#include "client/settings_values.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

namespace tandem::client {

namespace ip = boost::asio::ip;
using std::chrono::milliseconds;

std::string raw_value::shown() const {
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
                      std::string expected) {
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

}  // namespace tandem::client
