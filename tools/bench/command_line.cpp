#include "tools/bench/command_line.hpp"

#include <charconv>
#include <cmath>

namespace tandem::bench {

command_line::command_line(std::vector<option_spec> specs, const std::vector<std::string>& args)
    : specs_(std::move(specs)) {
  for (const auto& s : specs_) {
    values_[s.name] = s.default_value;
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      help_ = true;
      continue;
    }
    if (a.rfind("--", 0) != 0) {
      throw usage_error("unexpected argument '" + a + "' (options start with --)");
    }
    std::string name = a.substr(2);
    std::string value;
    bool has_inline_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_inline_value = true;
    }
    const option_spec& s = spec(name);
    if (s.is_flag) {
      if (has_inline_value) {
        throw usage_error("--" + name + " is a flag and takes no value");
      }
      values_[name] = "1";
      continue;
    }
    if (!has_inline_value) {
      if (i + 1 >= args.size()) {
        throw usage_error("--" + name + " needs a value");
      }
      value = args[++i];
    }
    values_[name] = value;
  }
}

const option_spec& command_line::spec(const std::string& name) const {
  for (const auto& s : specs_) {
    if (s.name == name) {
      return s;
    }
  }
  throw usage_error("unknown option --" + name + " (see --help)");
}

std::string command_line::help_text(std::string_view program, std::string_view summary) const {
  std::string out = "usage: " + std::string(program) + " [options]\n" + std::string(summary) + "\n\n";
  for (const auto& s : specs_) {
    std::string left = "  --" + s.name + (s.is_flag ? "" : " V");
    left.resize(std::max<std::size_t>(left.size() + 1, 26), ' ');
    out += left + s.help;
    if (!s.is_flag && !s.default_value.empty()) {
      out += " (default " + s.default_value + ")";
    }
    out += "\n";
  }
  return out;
}

bool command_line::flag(const std::string& name) const {
  spec(name);
  return values_.at(name) == "1";
}

const std::string& command_line::text(const std::string& name) const {
  spec(name);
  return values_.at(name);
}

std::uint64_t command_line::unsigned_number(const std::string& name) const {
  return parse_unsigned(text(name), "--" + name);
}

double command_line::number(const std::string& name) const {
  return parse_number(text(name), "--" + name);
}

std::chrono::nanoseconds command_line::duration(const std::string& name) const {
  return parse_duration(text(name), "--" + name);
}

std::uint64_t parse_unsigned(std::string_view text, std::string_view what) {
  std::uint64_t v = 0;
  const auto* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc{} || p != end) {
    throw usage_error(std::string(what) + ": '" + std::string(text) +
                      "' is not a non-negative integer");
  }
  return v;
}

double parse_number(std::string_view text, std::string_view what) {
  double v = 0;
  const auto* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc{} || p != end || !std::isfinite(v) || v < 0) {
    throw usage_error(std::string(what) + ": '" + std::string(text) +
                      "' is not a non-negative number");
  }
  return v;
}

std::chrono::nanoseconds parse_duration(std::string_view text, std::string_view what) {
  struct unit {
    std::string_view suffix;
    double ns;
  };
  // Longest suffixes first: "ms" must not be read as "m" followed by junk.
  static constexpr unit units[] = {{"ms", 1e6}, {"us", 1e3}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  double scale = 1e9;  // a bare number is seconds
  std::string_view number = text;
  for (const auto& u : units) {
    if (text.size() > u.suffix.size() && text.ends_with(u.suffix)) {
      scale = u.ns;
      number = text.substr(0, text.size() - u.suffix.size());
      break;
    }
  }
  const std::string where = std::string(what) + " (a duration such as 500ms, 10s, 2m)";
  const double v = parse_number(number, where);
  return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(v * scale)));
}

std::pair<std::string, std::uint16_t> parse_host_port(std::string_view text, std::string_view what) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    throw usage_error(std::string(what) + ": '" + std::string(text) + "' is not host:port");
  }
  std::string host(text.substr(0, colon));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const auto port = parse_unsigned(text.substr(colon + 1), what);
  if (port == 0 || port > 65535) {
    throw usage_error(std::string(what) + ": port " + std::to_string(port) + " is not 1..65535");
  }
  return {host, static_cast<std::uint16_t>(port)};
}

}  // namespace tandem::bench
