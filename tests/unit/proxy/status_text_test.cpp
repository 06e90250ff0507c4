// `tandem status`'s text from the admin port's JSON (proxy/status_text.hpp).
#include "proxy/status_text.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace tandem::proxy {
namespace {

namespace json = boost::json;

const char* status_doc = R"({
  "version": "0.1.0", "uptime_seconds": 3725.2,
  "clusters": {
    "source": {"nodes": ["127.0.0.2:9042", "127.0.0.4:9042"], "reachable": true,
               "release_version": "5.0.9", "latency": {"count": 1200, "p99_upper_ms": 2.5}},
    "target": {"nodes": ["127.0.0.3:9042"], "reachable": false,
               "unreachable_reason": "connection refused", "release_version": "",
               "latency": {"count": 1100, "p99_upper_ms": 10.0}}},
  "routing": {"primary": "target", "shadow_sample": 0.01},
  "write_ack": "strict",
  "last_target_write_failure_us": 0,
  "client_connections": 7, "requests_in_flight": 2,
  "client_latency": {"count": 1234, "p99_upper_ms": 5.0},
  "counters": {"requests_write": 1000, "requests_read": 200, "requests_prepare": 30,
               "requests_ddl": 4, "target_write_failures": 17},
  "journal": {"state": "on", "pending": 12, "pending_bytes": 3456, "oldest_pending_age_s": 75.0,
              "replayed": 90, "dead_lettered": 1, "disk_errors": 0},
  "backfill": {"state": "running", "units_total": 64, "units_done": 16, "rows": 50000,
               "rows_per_second": 2500.4,
               "tables": [{"table": "ks.users", "share_done": 0.25, "rows": 50000,
                           "units_done": 16, "units_total": 64, "eta_seconds": 130.0},
                          {"table": "ks.events", "share_done": 0.0, "rows": 0,
                           "units_done": 0, "units_total": 64, "eta_seconds": null}]}
})";

TEST(StatusText, ShowsTheNumbersOfTheStatusAsTheyAre) {
  const auto status = json::parse(status_doc);
  const auto history = json::parse(
      R"({"points": [{"client_requests_per_second": 1.0}, {"client_requests_per_second": 812.6,
          "target_write_failures_per_second": 0.4, "backfill_rows_per_second": 2400.0}]})");
  const auto gate = json::parse(R"({"ready": false, "missing": ["ks.events is not backfilled"],
      "tables": [{"table": "ks.users", "backfill_units_done": 16, "backfill_units_total": 64,
                  "validation_round": null}]})");
  const std::string text = render_status_text(status, history, gate, "http://127.0.0.1:9191");
  const char* expected[] = {
      "tandem 0.1.0 at http://127.0.0.1:9191, up 1h02m",
      "primary target, write_ack strict, shadow reads on (1.0 %)",
      "source     reachable, 2 nodes, Cassandra 5.0.9, 1200 requests, p99 <= 2.50 ms",
      "target     UNREACHABLE: connection refused, 1 node",
      "7 connections, 2 requests in flight, 1234 answered, p99 <= 5.00 ms; now 813 req/s",
      "1000 writes mirrored, 200 reads, 30 prepares, 4 schema changes",
      "17 write failures (now 0.4/s), none ever",
      "journal    12 pending (3456 bytes, oldest 1m15s), 90 replayed, 1 dead-lettered",
      "backfill   running, 16 of 64 units, 50000 rows, 2500 rows/s (now 2400)",
      "ks.users",
      "25.0 %  50000 rows  16/64 units  eta 2m10s",
      "ks.events",
      "eta -",
      "cutover    NOT READY",
      "ks.users: backfill 16/64 units, validation not run",
      "missing: ks.events is not backfilled",
  };
  for (const char* e : expected) {
    EXPECT_NE(text.find(e), std::string::npos) << "missing: " << e << "\nin:\n" << text;
  }
}

TEST(StatusText, WithoutHistoryJournalOrGateItSaysLess) {
  auto status = json::parse(status_doc);
  status.as_object()["journal"] = json::object{{"state", "off"}, {"pending", 0}};
  status.as_object()["backfill"] = json::object{{"state", "idle"}};
  const std::string text = render_status_text(status, nullptr, nullptr, "u");
  EXPECT_NE(text.find("journal    off\n"), std::string::npos) << text;
  EXPECT_NE(text.find("backfill   idle\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("now "), std::string::npos) << text;
  EXPECT_EQ(text.find("cutover"), std::string::npos) << text;
}

TEST(StatusText, AReadyGateSaysSo) {
  const auto text = render_status_text(json::parse(status_doc), nullptr,
                                       json::parse(R"({"ready": true, "missing": []})"), "u");
  EXPECT_NE(text.find("cutover    READY\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace tandem::proxy
