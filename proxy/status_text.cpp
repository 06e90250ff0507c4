#include "proxy/status_text.hpp"

#include <boost/json.hpp>

#include <cmath>
#include <cstdio>
#include <sstream>

namespace tandem::proxy {
namespace {

namespace json = boost::json;

const json::value* at(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* cur = &v;
  for (auto key : path) {
    if (!cur->is_object()) return nullptr;
    cur = cur->as_object().if_contains(key);
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

// A number as the JSON has it: integers exactly (so a script or a test can compare them with
// /api/v1/status), other values with `decimals` places.
std::string num(const json::value* v, int decimals = 1) {
  if (v == nullptr || v->is_null()) return "-";
  if (v->is_int64()) return std::to_string(v->as_int64());
  if (v->is_uint64()) return std::to_string(v->as_uint64());
  if (v->is_double()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v->as_double());
    return buf;
  }
  if (v->is_bool()) return v->as_bool() ? "yes" : "no";
  if (v->is_string()) return std::string(v->as_string());
  return json::serialize(*v);
}

std::string str(const json::value* v) {
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string("-");
}

double dbl(const json::value* v) {
  if (v == nullptr) return 0;
  if (v->is_double()) return v->as_double();
  if (v->is_int64()) return static_cast<double>(v->as_int64());
  if (v->is_uint64()) return static_cast<double>(v->as_uint64());
  return 0;
}

std::string duration(double seconds) {
  if (!(seconds >= 0)) return "-";
  auto s = static_cast<long long>(seconds + 0.5);
  char buf[64];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, s / 60 % 60);
  } else if (s >= 60) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%llds", s);
  }
  return buf;
}

std::string percent(double share) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %%", share * 100.0);
  return buf;
}

}  // namespace

std::string render_status_text(const json::value& status, const json::value& history,
                               const json::value& cutover, const std::string& source) {
  std::ostringstream out;
  out << "tandem " << str(at(status, {"version"})) << " at " << source << ", up "
      << duration(dbl(at(status, {"uptime_seconds"}))) << "\n";

  out << "routing    primary " << str(at(status, {"routing", "primary"})) << ", write_ack "
      << str(at(status, {"write_ack"})) << ", shadow reads "
      << (dbl(at(status, {"routing", "shadow_sample"})) > 0
              ? "on (" + percent(dbl(at(status, {"routing", "shadow_sample"}))) + ")"
              : std::string("off"))
      << "\n";

  for (const char* c : {"source", "target"}) {
    const auto* cl = at(status, {"clusters", c});
    if (cl == nullptr) continue;
    const auto* nodes = at(*cl, {"nodes"});
    const std::size_t n = nodes != nullptr && nodes->is_array() ? nodes->as_array().size() : 0;
    const bool up = at(*cl, {"reachable"}) != nullptr && at(*cl, {"reachable"})->is_bool() &&
                    at(*cl, {"reachable"})->as_bool();
    out << (std::string(c) == "source" ? "source     " : "target     ")
        << (up ? "reachable" : "UNREACHABLE: " + str(at(*cl, {"unreachable_reason"}))) << ", "
        << n << (n == 1 ? " node" : " nodes") << ", Cassandra " << str(at(*cl, {"release_version"}))
        << ", " << num(at(*cl, {"latency", "count"})) << " requests, p99 <= "
        << num(at(*cl, {"latency", "p99_upper_ms"}), 2) << " ms\n";
  }

  const json::value* last = nullptr;
  if (const auto* pts = at(history, {"points"}); pts != nullptr && pts->is_array() &&
                                                 !pts->as_array().empty()) {
    last = &pts->as_array().back();
  }
  out << "clients    " << num(at(status, {"client_connections"})) << " connections, "
      << num(at(status, {"requests_in_flight"})) << " requests in flight, "
      << num(at(status, {"client_latency", "count"})) << " answered, p99 <= "
      << num(at(status, {"client_latency", "p99_upper_ms"}), 2) << " ms";
  if (last != nullptr) {
    out << "; now " << num(at(*last, {"client_requests_per_second"}), 0) << " req/s";
  }
  out << "\n";
  out << "requests   " << num(at(status, {"counters", "requests_write"})) << " writes mirrored, "
      << num(at(status, {"counters", "requests_read"})) << " reads, "
      << num(at(status, {"counters", "requests_prepare"})) << " prepares, "
      << num(at(status, {"counters", "requests_ddl"})) << " schema changes\n";
  out << "target     " << num(at(status, {"counters", "target_write_failures"}))
      << " write failures";
  if (last != nullptr) {
    out << " (now " << num(at(*last, {"target_write_failures_per_second"}), 1) << "/s)";
  }
  const double last_failure = dbl(at(status, {"last_target_write_failure_us"}));
  out << (last_failure > 0 ? ", the last one at unix time " + num(at(status, {"last_target_write_failure_us"})) + " us"
                           : std::string(", none ever"))
      << "\n";

  const auto* j = at(status, {"journal"});
  if (j == nullptr || str(at(*j, {"state"})) == "off") {
    out << "journal    off\n";
  } else {
    out << "journal    " << num(at(*j, {"pending"})) << " pending (" << num(at(*j, {"pending_bytes"}))
        << " bytes, oldest " << duration(dbl(at(*j, {"oldest_pending_age_s"}))) << "), "
        << num(at(*j, {"replayed"})) << " replayed, " << num(at(*j, {"dead_lettered"}))
        << " dead-lettered, " << num(at(*j, {"disk_errors"})) << " disk errors\n";
  }

  const auto* b = at(status, {"backfill"});
  const std::string bstate = b != nullptr ? str(at(*b, {"state"})) : "-";
  out << "backfill   " << bstate;
  if (b != nullptr && at(*b, {"units_total"}) != nullptr) {
    out << ", " << num(at(*b, {"units_done"})) << " of " << num(at(*b, {"units_total"}))
        << " units, " << num(at(*b, {"rows"})) << " rows, "
        << num(at(*b, {"rows_per_second"}), 0) << " rows/s";
    if (last != nullptr) {
      out << " (now " << num(at(*last, {"backfill_rows_per_second"}), 0) << ")";
    }
    out << "\n";
    if (const auto* tables = at(*b, {"tables"}); tables != nullptr && tables->is_array()) {
      for (const auto& t : tables->as_array()) {
        char line[256];
        const auto* eta = at(t, {"eta_seconds"});
        std::snprintf(line, sizeof line, "  %-30s %7s  %s rows  %s units  eta %s\n",
                      str(at(t, {"table"})).c_str(), percent(dbl(at(t, {"share_done"}))).c_str(),
                      num(at(t, {"rows"})).c_str(),
                      (num(at(t, {"units_done"})) + "/" + num(at(t, {"units_total"}))).c_str(),
                      eta == nullptr || eta->is_null() ? "-" : duration(dbl(eta)).c_str());
        out << line;
      }
    }
  } else {
    out << "\n";
  }

  if (cutover.is_object()) {
    const auto* ready = at(cutover, {"ready"});
    const bool ok = ready != nullptr && ready->is_bool() && ready->as_bool();
    out << "cutover    " << (ok ? "READY" : "NOT READY") << "\n";
    if (const auto* tables = at(cutover, {"tables"}); tables != nullptr && tables->is_array()) {
      for (const auto& t : tables->as_array()) {
        out << "  " << str(at(t, {"table"})) << ": backfill " << num(at(t, {"backfill_units_done"}))
            << "/" << num(at(t, {"backfill_units_total"})) << " units, validation ";
        const auto* round = at(t, {"validation_round"});
        if (round == nullptr || round->is_null()) {
          out << "not run\n";
        } else {
          out << "round " << num(round) << ", " << num(at(t, {"validation_rows"}))
              << " rows compared, " << num(at(t, {"validation_unresolved"})) << " unresolved\n";
        }
      }
    }
    if (const auto* missing = at(cutover, {"missing"}); missing != nullptr && missing->is_array()) {
      for (const auto& m : missing->as_array()) {
        out << "  missing: " << (m.is_string() ? std::string(m.as_string()) : json::serialize(m)) << "\n";
      }
    }
  }
  return out.str();
}

}  // namespace tandem::proxy
