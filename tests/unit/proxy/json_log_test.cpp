// logging.format: json (proxy/json_log.hpp): the fields read out of the proxy's messages.
#include "proxy/json_log.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace tandem::proxy {
namespace {

TEST(JsonLog, FieldsComeFromTheMessagesShape) {
  struct row {
    const char* message;
    const char* component;
    const char* client;
    const char* cluster;
    std::optional<std::int64_t> error_code;
    std::optional<std::int64_t> timestamp;
  };
  const row rows[] = {
      {"client 127.0.0.1:5000: target write failed (error 4097): [timestamp 1700000000000001] "
       "INSERT INTO ks.t (k) VALUES (1)",
       "client", "127.0.0.1:5000", "target", 4097, 1700000000000001},
      {"journal: cannot append to /j/x: No space left on device", "journal", "", "", {}, {}},
      {"routing: primary source -> target (admin API)", "routing", "", "", {}, {}},  // both named
      {"source not reachable at start (refused)", "", "", "source", {}, {}},
      {"admin port: accept failed: Too many open files", "admin port", "", "", {}, {}},
      {"the latest failed target write (12 µs) is recorded", "", "", "target", {}, {}},
      {"targets: 3 nodes", "targets", "", "", {}, {}},  // "targets" is not the word "target"
      {"client [::1]:7: [server timestamp] DELETE", "client", "[::1]:7", "", {}, {}},
      {"Terror 55 in the Backfill: x", "", "", "", {}, {}},  // "error" inside a word, capitals
  };
  for (const auto& r : rows) {
    const auto f = extract_log_fields(r.message);
    EXPECT_EQ(f.component, r.component) << r.message;
    EXPECT_EQ(f.client, r.client) << r.message;
    EXPECT_EQ(f.cluster, r.cluster) << r.message;
    EXPECT_EQ(f.error_code, r.error_code) << r.message;
    EXPECT_EQ(f.timestamp, r.timestamp) << r.message;
  }
}

TEST(JsonLog, ALineIsOneJsonObjectWithTheMessageEscaped) {
  const std::string line = json_log_line("2026-12-07T05:00:00.000001Z", "warning",
                                         "client 1.2.3.4:5: target write failed (error 4352): "
                                         "[timestamp 42] INSERT ... VALUES ('a\"b\\\n')");
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto v = boost::json::parse(line).as_object();
  EXPECT_EQ(v.at("time").as_string(), "2026-12-07T05:00:00.000001Z");
  EXPECT_EQ(v.at("level").as_string(), "warning");
  EXPECT_EQ(v.at("component").as_string(), "client");
  EXPECT_EQ(v.at("client").as_string(), "1.2.3.4:5");
  EXPECT_EQ(v.at("cluster").as_string(), "target");
  EXPECT_EQ(v.at("error_code").as_int64(), 4352);
  EXPECT_EQ(v.at("timestamp").as_int64(), 42);
  EXPECT_NE(std::string(v.at("message").as_string()).find("'a\"b\\\n'"), std::string::npos);
  const auto plain = boost::json::parse(json_log_line("t", "info", "hello")).as_object();
  EXPECT_EQ(plain.at("component").as_string(), "tandem");
  EXPECT_FALSE(plain.contains("cluster"));
}

}  // namespace
}  // namespace tandem::proxy
