#include "proxy/json_log.hpp"

#include <boost/json.hpp>
#include <spdlog/details/log_msg.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace tandem::proxy {
namespace {

bool is_word_boundary(std::string_view s, std::size_t pos, std::size_t len) {
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  return (pos == 0 || !word(s[pos - 1])) && (pos + len == s.size() || !word(s[pos + len]));
}

bool names_word(std::string_view s, std::string_view w) {
  for (auto pos = s.find(w); pos != std::string_view::npos; pos = s.find(w, pos + 1)) {
    if (is_word_boundary(s, pos, w.size())) return true;
  }
  return false;
}

// The number right after `prefix` (e.g. "error "), when one follows it.
std::optional<std::int64_t> number_after(std::string_view s, std::string_view prefix) {
  for (auto pos = s.find(prefix); pos != std::string_view::npos; pos = s.find(prefix, pos + 1)) {
    if (pos > 0 && std::isalnum(static_cast<unsigned char>(s[pos - 1]))) continue;
    std::size_t i = pos + prefix.size();
    std::int64_t v = 0;
    std::size_t digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && digits < 19) {
      v = v * 10 + (s[i] - '0');
      ++i;
      ++digits;
    }
    if (digits > 0) return v;
  }
  return std::nullopt;
}

}  // namespace

log_fields extract_log_fields(std::string_view m) {
  log_fields f;
  if (m.starts_with("client ")) {
    const auto end = m.find(": ", 7);
    if (end != std::string_view::npos) {
      f.component = "client";
      f.client = std::string(m.substr(7, end - 7));
    }
  } else if (const auto colon = m.find(": "); colon != std::string_view::npos && colon <= 20) {
    const auto head = m.substr(0, colon);
    bool plain = !head.empty();
    for (char c : head) {
      plain = plain && (std::islower(static_cast<unsigned char>(c)) || c == ' ' || c == '_');
    }
    if (plain) f.component = std::string(head);
  }
  const bool source = names_word(m, "source"), target = names_word(m, "target");
  if (source != target) f.cluster = source ? "source" : "target";
  f.error_code = number_after(m, "error ");
  f.timestamp = number_after(m, "[timestamp ");
  return f;
}

std::string json_log_line(std::string_view time_utc, std::string_view level, std::string_view message) {
  namespace json = boost::json;
  const auto f = extract_log_fields(message);
  json::object o;
  o["time"] = time_utc;
  o["level"] = level;
  o["component"] = f.component.empty() ? std::string("tandem") : f.component;
  if (!f.client.empty()) o["client"] = f.client;
  if (!f.cluster.empty()) o["cluster"] = f.cluster;
  if (f.error_code) o["error_code"] = *f.error_code;
  if (f.timestamp) o["timestamp"] = *f.timestamp;
  o["message"] = message;
  return json::serialize(o);
}

namespace {

class json_log_formatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto since = msg.time.time_since_epoch();
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(since);
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(since - secs).count();
    const std::time_t t = static_cast<std::time_t>(secs.count());
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char when[96];
    std::snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<long long>(micros));
    const auto level = spdlog::level::to_string_view(msg.level);
    const std::string line = json_log_line(
        when, std::string_view(level.data(), level.size()),
        std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(line.data(), line.data() + line.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_log_formatter>();
  }
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_json_log_formatter() {
  return std::make_unique<json_log_formatter>();
}

}  // namespace tandem::proxy
