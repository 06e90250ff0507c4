#include "tools/bench/load_report.hpp"

#include "protocol/messages/error_message.hpp"

#include <cstdio>

namespace tandem::bench {
namespace {

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

double micros(std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

struct percentile {
  const char* name;
  double value;
};
constexpr percentile percentiles[] = {{"p50", 50}, {"p90", 90}, {"p99", 99}, {"p99_9", 99.9}};

}  // namespace

std::string error_label(std::int32_t code) {
  switch (code) {
    case lost_with_connection: return "connection lost";
    case unexpected_answer: return "unexpected answer";
    case unanswered_at_end: return "unanswered at end";
    default: break;
  }
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%04X", static_cast<unsigned>(code));
  return std::string(protocol::error_code_name(static_cast<protocol::error_code>(code))) + " (" +
         hex + ")";
}

std::uint64_t load_counts::error_total() const noexcept {
  std::uint64_t n = 0;
  for (const auto& [code, count] : errors) {
    n += count;
  }
  return n;
}

void load_counts::merge(const load_counts& other) {
  reads += other.reads;
  writes += other.writes;
  warmup_answers += other.warmup_answers;
  for (const auto& [code, count] : other.errors) {
    errors[code] += count;
  }
  latency.merge(other.latency);
}

std::string format_table(const load_summary& s) {
  const auto& h = s.counts.latency;
  std::string out;
  out += "target        " + s.target + "  protocol v" + std::to_string(s.protocol_version) +
         (s.lz4 ? " lz4" : "") + "\n";
  out += "connections   " + std::to_string(s.connections) + " x " + std::to_string(s.in_flight) +
         " in flight" +
         (s.rate > 0 ? ", rate " + fixed(s.rate, 0) + "/s" : ", as fast as possible") +
         ", writes " + fixed(s.write_ratio * 100, 0) + "%, row " + std::to_string(s.row_size) +
         " B\n";
  if (s.connections_failed > 0) {
    out += "failed        " + std::to_string(s.connections_failed) + " connections: " +
           s.first_failure + "\n";
  }
  out += "duration      " + fixed(s.seconds, 2) + " s\n";
  out += "ops           " + std::to_string(s.ops()) + " (" + std::to_string(s.counts.writes) +
         " writes, " + std::to_string(s.counts.reads) + " reads)\n";
  out += "ops/s         " + fixed(s.ops_per_second(), 0) + "\n";
  out += "errors        " + std::to_string(s.counts.error_total()) + "\n";
  for (const auto& [code, count] : s.counts.errors) {
    out += "  " + error_label(code) + ": " + std::to_string(count) + "\n";
  }
  out += "latency (us)  p50 " + fixed(micros(h.value_at_percentile(50)), 1) + "  p90 " +
         fixed(micros(h.value_at_percentile(90)), 1) + "  p99 " +
         fixed(micros(h.value_at_percentile(99)), 1) + "  p99.9 " +
         fixed(micros(h.value_at_percentile(99.9)), 1) + "  max " + fixed(micros(h.max()), 1) +
         "  mean " + fixed(h.mean() / 1000.0, 1) + "\n";
  return out;
}

std::string format_json(const load_summary& s) {
  const auto& h = s.counts.latency;
  std::string out = "{";
  out += "\"target\":" + json_string(s.target);
  out += ",\"protocol_version\":" + std::to_string(s.protocol_version);
  out += ",\"lz4\":" + std::string(s.lz4 ? "true" : "false");
  out += ",\"connections\":" + std::to_string(s.connections);
  out += ",\"in_flight\":" + std::to_string(s.in_flight);
  out += ",\"rate\":" + fixed(s.rate, 1);
  out += ",\"write_ratio\":" + fixed(s.write_ratio, 3);
  out += ",\"row_size\":" + std::to_string(s.row_size);
  out += ",\"connections_failed\":" + std::to_string(s.connections_failed);
  out += ",\"first_failure\":" + json_string(s.first_failure);
  out += ",\"seconds\":" + fixed(s.seconds, 3);
  out += ",\"ops\":" + std::to_string(s.ops());
  out += ",\"writes\":" + std::to_string(s.counts.writes);
  out += ",\"reads\":" + std::to_string(s.counts.reads);
  out += ",\"ops_per_s\":" + fixed(s.ops_per_second(), 1);
  out += ",\"answers_total\":" + std::to_string(s.answers());
  out += ",\"errors\":" + std::to_string(s.counts.error_total());
  out += ",\"errors_by_code\":{";
  bool first = true;
  for (const auto& [code, count] : s.counts.errors) {
    out += (first ? "" : ",") + json_string(error_label(code)) + ":" + std::to_string(count);
    first = false;
  }
  out += "},\"latency_us\":{";
  for (const auto& p : percentiles) {
    out += "\"" + std::string(p.name) + "\":" + fixed(micros(h.value_at_percentile(p.value)), 1) + ",";
  }
  out += "\"max\":" + fixed(micros(h.max()), 1) + ",\"mean\":" + fixed(h.mean() / 1000.0, 1) + "}";
  return out + "}";
}

}  // namespace tandem::bench
