// The command lines of the bench tools: `--name value` and `--flag`, each option declared once
// with its default and help text, so --help prints them all and an unknown or malformed option
// stops the tool with a message naming it (STYLE.md rule 3: start-up errors may throw).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::bench {

struct option_spec {
  std::string name;           // without the leading "--"
  std::string default_value;  // for a flag: "" (off)
  std::string help;
  bool is_flag = false;
};

class usage_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class command_line {
 public:
  // Throws usage_error for an unknown option, a missing value, or a value given to a flag.
  command_line(std::vector<option_spec> specs, const std::vector<std::string>& args);

  bool help_requested() const noexcept { return help_; }
  std::string help_text(std::string_view program, std::string_view summary) const;

  bool flag(const std::string& name) const;
  const std::string& text(const std::string& name) const;
  // The typed getters throw usage_error naming the option when the value does not parse.
  std::uint64_t unsigned_number(const std::string& name) const;
  double number(const std::string& name) const;
  // "250ms", "10s", "2m", or a bare number of seconds ("1.5").
  std::chrono::nanoseconds duration(const std::string& name) const;

 private:
  const option_spec& spec(const std::string& name) const;

  std::vector<option_spec> specs_;
  std::map<std::string, std::string> values_;
  bool help_ = false;
};

// The parsers behind the getters; std::nullopt-free: they throw usage_error with `what`.
std::chrono::nanoseconds parse_duration(std::string_view text, std::string_view what);
std::uint64_t parse_unsigned(std::string_view text, std::string_view what);
double parse_number(std::string_view text, std::string_view what);

// "host:port" or "[v6]:port" split in two; throws usage_error.
std::pair<std::string, std::uint16_t> parse_host_port(std::string_view text, std::string_view what);

}  // namespace tandem::bench
