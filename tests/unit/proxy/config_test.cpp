// The configuration loader: defaults, the annotated example, environment overrides of every
// value kind, and error messages that name the key, the value and where it came from.
#include "proxy/config.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace tandem::proxy {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using env_map = std::map<std::string, std::string>;

const std::string example_path = std::string(TANDEM_TEST_DATA_DIR) + "/../../conf/tandem.yaml";

// A file in a directory of this test's own (tests may run in parallel processes).
class temp_dir {
 public:
  temp_dir() {
    const auto* info = testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("tandem_config_test_" + std::to_string(::getpid()) + "_" +
                                        info->test_suite_name() + "_" + info->name());
    fs::create_directories(dir_);
  }
  ~temp_dir() { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) const {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

 private:
  fs::path dir_;
};

config load_yaml(const temp_dir& dir, const std::string& yaml, const env_map& env = {}) {
  return load_config(dir.write("tandem.yaml", yaml), env);
}

// The message of the config_error that `f` throws, or "" when it throws nothing.
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const client::config_error& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigDefaults, AreTheDocumentedValues) {
  const config c = default_config();
  EXPECT_EQ(c.proxy.listen_address.to_string(), "127.0.0.1");
  EXPECT_EQ(c.proxy.listen_port, 9042);
  EXPECT_EQ(c.proxy.worker_threads, 0u);
  ASSERT_EQ(c.proxy.instances.size(), 1u);
  EXPECT_EQ(c.proxy.instances[0].address.to_string(), "127.0.0.1");
  EXPECT_EQ(c.proxy.instances[0].port, 9042);
  EXPECT_EQ(c.proxy.data_center, "");
  EXPECT_FALSE(c.proxy.tls.enabled);
  EXPECT_FALSE(c.proxy.tls.require_client_cert);
  EXPECT_EQ(c.source.contact_points, std::vector<std::string>{"127.0.0.2"});
  EXPECT_EQ(c.target.contact_points, std::vector<std::string>{"127.0.0.3"});
  for (const client::cluster_settings* s : {static_cast<const client::cluster_settings*>(&c.source),
                                    static_cast<const client::cluster_settings*>(&c.target)}) {
    EXPECT_EQ(s->port, 9042);
    EXPECT_EQ(s->username, "");
    EXPECT_EQ(s->connect_timeout, 5s);
    EXPECT_EQ(s->request_timeout, 10s);
    EXPECT_EQ(s->heartbeat_interval, 30s);
    EXPECT_FALSE(s->tls.enabled);
    EXPECT_TRUE(s->tls.verify_hostname);
  }
  EXPECT_EQ(c.target.auth_mode, client::target_auth_mode::configured);
  EXPECT_EQ(c.target.state_keyspace, "tandem");
  EXPECT_EQ(c.target.state_replication, "{'class': 'SimpleStrategy', 'replication_factor': 1}");
  EXPECT_EQ(c.routing.primary, cluster_role::source);
  EXPECT_EQ(c.routing.write_ack, write_ack_mode::source_authoritative);
  EXPECT_EQ(c.limits.max_frame_bytes, 256u * 1024 * 1024);
  EXPECT_EQ(c.limits.max_in_flight_per_connection, 1024u);
  EXPECT_EQ(c.limits.max_client_connections, 10'000u);
  EXPECT_EQ(c.limits.prepared_cache_size, 10'000u);
  EXPECT_EQ(c.limits.drain_timeout, 10s);
  EXPECT_EQ(c.admin.listen_address.to_string(), "127.0.0.1");
  EXPECT_EQ(c.admin.listen_port, 9191);
  EXPECT_EQ(c.logging.level, log_level::info);
  EXPECT_EQ(c.logging.format, log_format::text);
  EXPECT_NO_THROW(validate(c));
}

TEST(ConfigDefaults, AreWhatAnEmptyFileGives) {
  temp_dir dir;
  EXPECT_EQ(load_yaml(dir, ""), default_config());
  EXPECT_EQ(load_yaml(dir, "# only a comment\n"), default_config());
  EXPECT_EQ(load_yaml(dir, "source:\nlimits:\n"), default_config());
}

TEST(ConfigExample, LoadsToExactlyTheDefaults) {
  const config c = load_config(example_path, {});
  EXPECT_EQ(c.proxy, default_config().proxy);
  EXPECT_EQ(c.source, default_config().source);
  EXPECT_EQ(c.target, default_config().target);
  EXPECT_EQ(c, default_config());
}

TEST(ConfigExample, NamesEveryKeyAndItsEnvironmentVariable) {
  std::ifstream in(example_path);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  ASSERT_FALSE(text.empty());
  for (const auto& key : config_keys()) {
    const std::string leaf = key.substr(key.rfind('.') + 1);
    EXPECT_NE(text.find("  " + leaf + ":"), std::string::npos) << key;
    const auto at = text.find("# env: " + client::env_var_name(key));
    ASSERT_NE(at, std::string::npos) << key;
    const char after = text.at(at + 7 + client::env_var_name(key).size());
    EXPECT_TRUE(after == '\n' || after == ' ') << key << " is only a prefix of another variable";
  }
}

TEST(ConfigKeys, MapToDistinctEnvironmentVariables) {
  std::set<std::string> names;
  for (const auto& key : config_keys()) {
    EXPECT_TRUE(names.insert(client::env_var_name(key)).second) << key;
  }
  EXPECT_EQ(client::env_var_name("source.tls.enabled"), "TANDEM_SOURCE_TLS_ENABLED");
  EXPECT_EQ(client::env_var_name("limits.max_frame_bytes"), "TANDEM_LIMITS_MAX_FRAME_BYTES");
}

struct override_case {
  const char* kind;
  const char* variable;
  const char* value;
  std::function<bool(const config&)> holds;
};

TEST(ConfigEnvironment, OverridesEveryKindOfValue) {
  const override_case cases[] = {
      {"string", "TANDEM_SOURCE_USERNAME", "alice",
       [](const config& c) { return c.source.username == "alice"; }},
      {"string 2", "TANDEM_PROXY_DATA_CENTER", "dc-east",
       [](const config& c) { return c.proxy.data_center == "dc-east"; }},
      {"int", "TANDEM_LIMITS_MAX_IN_FLIGHT_PER_CONNECTION", "64",
       [](const config& c) { return c.limits.max_in_flight_per_connection == 64; }},
      {"port", "TANDEM_TARGET_PORT", "19042",
       [](const config& c) { return c.target.port == 19042; }},
      {"list", "TANDEM_SOURCE_CONTACT_POINTS", "10.0.0.1, cass-2.example.com,::1",
       [](const config& c) {
         return c.source.contact_points ==
                std::vector<std::string>{"10.0.0.1", "cass-2.example.com", "::1"};
       }},
      {"duration ms", "TANDEM_SOURCE_CONNECT_TIMEOUT", "500ms",
       [](const config& c) { return c.source.connect_timeout == 500ms; }},
      {"duration m", "TANDEM_TARGET_REQUEST_TIMEOUT", "2m",
       [](const config& c) { return c.target.request_timeout == 2min; }},
      {"duration zero", "TANDEM_LIMITS_DRAIN_TIMEOUT", "0",
       [](const config& c) { return c.limits.drain_timeout == 0s; }},
      {"size KiB", "TANDEM_LIMITS_MAX_FRAME_BYTES", "64KiB",
       [](const config& c) { return c.limits.max_frame_bytes == 65536; }},
      {"size bytes", "TANDEM_LIMITS_MAX_FRAME_BYTES", "1048576",
       [](const config& c) { return c.limits.max_frame_bytes == 1048576; }},
      {"enum", "TANDEM_ROUTING_WRITE_ACK", "strict",
       [](const config& c) { return c.routing.write_ack == write_ack_mode::strict; }},
      {"enum, any case", "TANDEM_LOGGING_LEVEL", "DEBUG",
       [](const config& c) { return c.logging.level == log_level::debug; }},
      {"enum target", "TANDEM_TARGET_AUTH_MODE", "client",
       [](const config& c) { return c.target.auth_mode == client::target_auth_mode::client; }},
      {"bool false", "TANDEM_SOURCE_TLS_VERIFY_HOSTNAME", "false",
       [](const config& c) { return !c.source.tls.verify_hostname; }},
      {"bool 0", "TANDEM_TARGET_TLS_VERIFY_HOSTNAME", "0",
       [](const config& c) { return !c.target.tls.verify_hostname; }},
      {"address", "TANDEM_PROXY_LISTEN_ADDRESS", "127.0.0.9",
       [](const config& c) { return c.proxy.listen_address.to_string() == "127.0.0.9"; }},
      {"endpoint list", "TANDEM_PROXY_INSTANCES", "10.1.0.1:9042,[fd00::2]:9043",
       [](const config& c) {
         return c.proxy.instances.size() == 2 &&
                c.proxy.instances[1].address.to_string() == "fd00::2" &&
                c.proxy.instances[1].port == 9043;
       }},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.kind);
    const config c = load_config(example_path, {{tc.variable, tc.value}});
    EXPECT_TRUE(tc.holds(c));
    EXPECT_NE(c, default_config()) << "the case checks a value that differs from its default";
  }
}

TEST(ConfigEnvironment, WinsOverTheFile) {
  temp_dir dir;
  const config c = load_yaml(dir, "source:\n  port: 9100\n", {{"TANDEM_SOURCE_PORT", "9200"}});
  EXPECT_EQ(c.source.port, 9200);
}

TEST(ConfigEnvironment, IgnoresVariablesOutsideTheSections) {
  const env_map env = {{"TANDEM_HOME", "/opt/tandem"}, {"PATH", "/bin"}, {"TANDEMX", "1"}};
  EXPECT_EQ(load_config(example_path, env), default_config());
}

TEST(ConfigEnvironment, RefusesAMisspeltVariableInASection) {
  const std::string m =
      error_of([] { load_config(example_path, {{"TANDEM_SOURCE_CONTACT_POINT", "x"}}); });
  EXPECT_NE(m.find("unknown environment variable TANDEM_SOURCE_CONTACT_POINT"), std::string::npos)
      << m;
  EXPECT_NE(m.find("did you mean TANDEM_SOURCE_CONTACT_POINTS?"), std::string::npos) << m;
}

TEST(ConfigFile, ReadsListsAsSequencesOrAsCommaSeparatedText) {
  temp_dir dir;
  const std::vector<std::string> both{"a.example", "b.example"};
  EXPECT_EQ(
      load_yaml(dir, "source:\n  contact_points: [a.example, b.example]\n").source.contact_points,
      both);
  EXPECT_EQ(load_yaml(dir, "source:\n  contact_points:\n    - a.example\n    - b.example\n")
                .source.contact_points,
            both);
  EXPECT_EQ(
      load_yaml(dir, "source:\n  contact_points: a.example,b.example\n").source.contact_points,
      both);
}

TEST(ConfigFile, ResolvesInstancesToTheListenAddressWhenEmpty) {
  temp_dir dir;
  const config c = load_yaml(dir, "proxy:\n  listen_address: 10.2.0.7\n  listen_port: 9500\n");
  ASSERT_EQ(c.proxy.instances.size(), 1u);
  EXPECT_EQ(c.proxy.instances[0].address.to_string(), "10.2.0.7");
  EXPECT_EQ(c.proxy.instances[0].port, 9500);
}

struct bad_value_case {
  const char* variable;
  const char* value;
  const char* key;
  const char* expected;  // a part of the text after "expected"
};

TEST(ConfigErrors, NameTheKeyTheVariableTheValueAndWhatWasExpected) {
  const bad_value_case cases[] = {
      {"TANDEM_SOURCE_PORT", "70000", "source.port", "a port number from 1 to 65535"},
      {"TANDEM_SOURCE_PORT", "0", "source.port", "a port number from 1 to 65535"},
      {"TANDEM_TARGET_PORT", "90x", "target.port", "a port number"},
      {"TANDEM_PROXY_WORKER_THREADS", "257", "proxy.worker_threads", "an integer from 0 to 256"},
      {"TANDEM_PROXY_WORKER_THREADS", "-1", "proxy.worker_threads", "an integer from 0 to 256"},
      {"TANDEM_PROXY_LISTEN_ADDRESS", "localhost", "proxy.listen_address",
       "an IPv4 or IPv6 address"},
      {"TANDEM_PROXY_INSTANCES", "10.0.0.1", "proxy.instances", "address:port"},
      {"TANDEM_PROXY_INSTANCES", "::1:9042", "proxy.instances", "[::1]:9042"},
      {"TANDEM_SOURCE_CONTACT_POINTS", "", "source.contact_points", "at least one contact point"},
      {"TANDEM_SOURCE_CONTACT_POINTS", "a,,b", "source.contact_points", "without empty items"},
      {"TANDEM_SOURCE_CONTACT_POINTS", "127.0.0.2:9042", "source.contact_points", "without a port"},
      {"TANDEM_SOURCE_CONNECT_TIMEOUT", "10", "source.connect_timeout",
       "a duration like 500ms, 10s or 2m"},
      {"TANDEM_SOURCE_CONNECT_TIMEOUT", "1.5s", "source.connect_timeout", "a duration"},
      {"TANDEM_TARGET_REQUEST_TIMEOUT", "0", "target.request_timeout", "from 1ms to 1h"},
      {"TANDEM_SOURCE_HEARTBEAT_INTERVAL", "2h", "source.heartbeat_interval", "from 1s to 1h"},
      {"TANDEM_LIMITS_MAX_FRAME_BYTES", "512MiB", "limits.max_frame_bytes", "from 64KiB to 256MiB"},
      {"TANDEM_LIMITS_MAX_FRAME_BYTES", "1KiB", "limits.max_frame_bytes", "from 64KiB to 256MiB"},
      {"TANDEM_LIMITS_MAX_FRAME_BYTES", "64KB", "limits.max_frame_bytes", "a size like 256MiB"},
      {"TANDEM_LIMITS_MAX_IN_FLIGHT_PER_CONNECTION", "40000", "limits.max_in_flight_per_connection",
       "an integer from 1 to 32768"},
      {"TANDEM_ROUTING_WRITE_ACK", "both", "routing.write_ack",
       "one of source_authoritative | strict"},
      {"TANDEM_ROUTING_PRIMARY", "origin", "routing.primary", "one of source | target"},
      {"TANDEM_TARGET_AUTH_MODE", "none", "target.auth_mode", "one of configured | client"},
      {"TANDEM_TARGET_STATE_KEYSPACE", "tandem state", "target.state_keyspace",
       "1 to 48 letters, digits or underscores"},
      {"TANDEM_TARGET_STATE_KEYSPACE", "1tandem", "target.state_keyspace", "a keyspace name"},
      {"TANDEM_TARGET_STATE_REPLICATION", "3", "target.state_replication",
       "a CQL replication map"},
      {"TANDEM_TARGET_STATE_REPLICATION", "{'class': 'X'}; DROP KEYSPACE ks",
       "target.state_replication", "a CQL replication map"},
      {"TANDEM_LOGGING_LEVEL", "verbose", "logging.level",
       "one of trace | debug | info | warn | error"},
      {"TANDEM_LOGGING_FORMAT", "xml", "logging.format", "one of text | json"},
      {"TANDEM_SOURCE_TLS_ENABLED", "maybe", "source.tls.enabled", "true or false"},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(std::string(tc.variable) + "=" + tc.value);
    std::string key;
    const std::string m = error_of([&] {
      try {
        load_config(example_path, {{tc.variable, tc.value}});
      } catch (const client::config_error& e) {
        key = e.key();
        throw;
      }
    });
    EXPECT_EQ(key, tc.key);
    EXPECT_NE(m.find(std::string(tc.key) + " = \"" + tc.value + "\""), std::string::npos) << m;
    EXPECT_NE(m.find(std::string("from environment variable ") + tc.variable), std::string::npos)
        << m;
    EXPECT_NE(m.find("): expected "), std::string::npos) << m;
    EXPECT_NE(m.find(tc.expected), std::string::npos) << m;
  }
}

TEST(ConfigErrors, NameTheFileAndLineOfABadValue) {
  temp_dir dir;
  const std::string m =
      error_of([&] { load_yaml(dir, "source:\n  contact_points: [a]\n  port: 70000\n"); });
  EXPECT_NE(m.find("source.port = \"70000\""), std::string::npos) << m;
  EXPECT_NE(m.find("tandem.yaml line 3"), std::string::npos) << m;
  EXPECT_NE(m.find("expected a port number from 1 to 65535"), std::string::npos) << m;
}

TEST(ConfigErrors, RefuseAListWhereOneValueIsExpected) {
  temp_dir dir;
  const std::string m = error_of([&] { load_yaml(dir, "source:\n  port: [1, 2]\n"); });
  EXPECT_NE(m.find("source.port = [1, 2]"), std::string::npos) << m;
  EXPECT_NE(m.find("expected a single value, not a list"), std::string::npos) << m;
}

TEST(ConfigErrors, RefuseUnknownKeysAtEveryDepth) {
  temp_dir dir;
  const struct {
    const char* yaml;
    const char* message;
  } cases[] = {
      {"sorce:\n  port: 1\n", "unknown key sorce (in "},
      {"source:\n  contact_point: [a]\n", "unknown key source.contact_point (in "},
      {"source:\n  tls:\n    enable: true\n", "unknown key source.tls.enable (in "},
      {"limits:\n  max_frame_size: 1MiB\n", "unknown key limits.max_frame_size (in "},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.yaml);
    const std::string m = error_of([&] { load_yaml(dir, tc.yaml); });
    EXPECT_NE(m.find(tc.message), std::string::npos) << m;
  }
  const std::string m = error_of([&] { load_yaml(dir, "source:\n  contact_point: [a]\n"); });
  EXPECT_NE(m.find("line 2"), std::string::npos) << m;
  EXPECT_NE(m.find("did you mean source.contact_points?"), std::string::npos) << m;
}

TEST(ConfigErrors, RefuseAKeySetTwice) {
  temp_dir dir;
  const std::string m = error_of([&] { load_yaml(dir, "source:\n  port: 1\n  port: 2\n"); });
  EXPECT_NE(m.find("source.port"), std::string::npos) << m;
  EXPECT_NE(m.find("set twice"), std::string::npos) << m;
}

TEST(ConfigErrors, RefuseAValueWhereASectionIsExpectedAndTheReverse) {
  temp_dir dir;
  EXPECT_NE(error_of([&] { load_yaml(dir, "source: 127.0.0.2\n"); }).find("source (in "),
            std::string::npos);
  EXPECT_NE(
      error_of([&] { load_yaml(dir, "source:\n  port:\n    value: 1\n"); }).find("found a mapping"),
      std::string::npos);
  EXPECT_NE(error_of([&] { load_yaml(dir, "- a\n- b\n"); }).find("must hold a mapping"),
            std::string::npos);
}

TEST(ConfigErrors, SayWhichFileIsMissing) {
  const std::string m = error_of([] { load_config("/nonexistent/tandem.yaml", {}); });
  EXPECT_NE(m.find("cannot read the configuration file /nonexistent/tandem.yaml"),
            std::string::npos)
      << m;
}

TEST(ConfigErrors, RefuseADirectoryAsTheFile) {
  temp_dir dir;
  const std::string file = dir.write("tandem.yaml", "");
  const std::string parent = fs::path(file).parent_path().string();
  const std::string m = error_of([&] { load_config(parent, {}); });
  EXPECT_NE(m.find("cannot read the configuration file " + parent), std::string::npos) << m;
}

TEST(ConfigErrors, GiveTheLineOfMalformedYaml) {
  temp_dir dir;
  // The third line is indented less than the key before it.
  const std::string m =
      error_of([&] { load_yaml(dir, "source:\n  port: 9042\n contact_points: x\n"); });
  EXPECT_NE(m.find("tandem.yaml is not valid YAML at line 3"), std::string::npos) << m;
  EXPECT_NE(error_of([&] { load_yaml(dir, "source: [a, b\n"); }).find("is not valid YAML"),
            std::string::npos);
}

TEST(ConfigValidation, RefusesAnAdminPortOffLoopbackWithoutToken) {
  const std::string m =
      error_of([] { load_config(example_path, {{"TANDEM_ADMIN_LISTEN_ADDRESS", "0.0.0.0"}}); });
  EXPECT_NE(m.find("admin.listen_address = \"0.0.0.0\" (from environment variable "
                   "TANDEM_ADMIN_LISTEN_ADDRESS)"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("admin.bearer_token"), std::string::npos) << m;
  EXPECT_NO_THROW(load_config(example_path, {{"TANDEM_ADMIN_LISTEN_ADDRESS", "0.0.0.0"},
                                             {"TANDEM_ADMIN_BEARER_TOKEN", "t0k3n"}}));
  EXPECT_NO_THROW(load_config(example_path, {{"TANDEM_ADMIN_LISTEN_ADDRESS", "127.0.0.5"}}));
  EXPECT_NO_THROW(load_config(example_path, {{"TANDEM_ADMIN_LISTEN_ADDRESS", "::1"}}));
}

TEST(ConfigValidation, RefusesTheAdminPortOnTheProxyPort) {
  const std::string m =
      error_of([] { load_config(example_path, {{"TANDEM_ADMIN_LISTEN_PORT", "9042"}}); });
  EXPECT_NE(m.find("admin.listen_port"), std::string::npos) << m;
}

TEST(ConfigValidation, RefusesAWildcardListenAddressWithoutInstances) {
  const std::string m =
      error_of([] { load_config(example_path, {{"TANDEM_PROXY_LISTEN_ADDRESS", "0.0.0.0"}}); });
  EXPECT_NE(m.find("proxy.instances"), std::string::npos) << m;
  const config c = load_config(example_path, {{"TANDEM_PROXY_LISTEN_ADDRESS", "0.0.0.0"},
                                              {"TANDEM_PROXY_INSTANCES", "10.0.0.5:9042"}});
  EXPECT_EQ(c.proxy.instances.at(0).address.to_string(), "10.0.0.5");
}

TEST(ConfigValidation, RequiresTlsFilesThatExist) {
  temp_dir dir;
  const std::string pem = dir.write("x.pem", "not checked here\n");
  const std::string missing = dir.write("y", "") + ".absent";
  const std::string dir_path = fs::path(pem).parent_path().string();
  const struct {
    env_map env;
    std::string message;  // "" when the configuration is valid
  } cases[] = {
      {{{"TANDEM_PROXY_TLS_ENABLED", "true"}}, "proxy.tls.cert_file = (empty) (in "},
      {{{"TANDEM_PROXY_TLS_ENABLED", "true"}, {"TANDEM_PROXY_TLS_CERT_FILE", missing}},
       "file not found or not readable (needed because proxy.tls.enabled is true)"},
      {{{"TANDEM_PROXY_TLS_ENABLED", "true"},
        {"TANDEM_PROXY_TLS_CERT_FILE", pem},
        {"TANDEM_PROXY_TLS_KEY_FILE", pem}},
       ""},
      {{{"TANDEM_PROXY_TLS_ENABLED", "true"},
        {"TANDEM_PROXY_TLS_CERT_FILE", pem},
        {"TANDEM_PROXY_TLS_KEY_FILE", pem},
        {"TANDEM_PROXY_TLS_REQUIRE_CLIENT_CERT", "yes"}},
       "proxy.tls.ca_file = (empty)"},
      {{{"TANDEM_SOURCE_TLS_ENABLED", "on"}}, ""},
      {{{"TANDEM_SOURCE_TLS_ENABLED", "on"}, {"TANDEM_SOURCE_TLS_CERT_FILE", pem}},
       "source.tls.key_file = (empty) (in "},
      {{{"TANDEM_TARGET_TLS_ENABLED", "true"}, {"TANDEM_TARGET_TLS_CA_FILE", missing}},
       "target.tls.ca_file = \"" + missing +
           "\" (from environment variable TANDEM_TARGET_TLS_CA_FILE)"},
      {{{"TANDEM_TARGET_TLS_ENABLED", "true"}, {"TANDEM_TARGET_TLS_CA_FILE", dir_path}},
       "target.tls.ca_file = \"" + dir_path + "\" (from environment variable"},
      {{{"TANDEM_TARGET_TLS_CA_FILE", missing}}, ""},  // TLS off: the file is not needed
  };
  for (const auto& tc : cases) {
    const std::string m = error_of([&] { load_config(example_path, tc.env); });
    if (tc.message.empty()) {
      EXPECT_EQ(m, "");
    } else {
      EXPECT_NE(m.find(tc.message), std::string::npos) << m;
    }
  }
}

TEST(ConfigValidation, RefusesAPasswordWithoutUser) {
  const std::string m =
      error_of([] { load_config(example_path, {{"TANDEM_TARGET_PASSWORD", "pw"}}); });
  EXPECT_NE(m.find("target.username"), std::string::npos) << m;
  EXPECT_EQ(m.find("pw"), std::string::npos) << "a password never appears in a message: " << m;
}

TEST(ConfigValidation, ChecksAConfigurationBuiltInCode) {
  const struct {
    const char* key;
    std::function<void(config&)> spoil;
  } cases[] = {
      {"source.port", [](config& c) { c.source.port = 0; }},
      {"proxy.worker_threads", [](config& c) { c.proxy.worker_threads = 1000; }},
      {"target.contact_points", [](config& c) { c.target.contact_points.clear(); }},
      {"limits.max_frame_bytes", [](config& c) { c.limits.max_frame_bytes = 1u << 30; }},
      {"limits.max_in_flight_per_connection",
       [](config& c) { c.limits.max_in_flight_per_connection = 0; }},
      {"proxy.instances", [](config& c) { c.proxy.instances.clear(); }},
      {"admin.listen_address",
       [](config& c) { c.admin.listen_address = boost::asio::ip::make_address("10.0.0.1"); }},
  };
  for (const auto& tc : cases) {
    config c = default_config();
    tc.spoil(c);
    std::string key;
    try {
      validate(c);
    } catch (const client::config_error& e) {
      key = e.key();
      EXPECT_NE(std::string(e.what()).find("(set in code)"), std::string::npos) << e.what();
    }
    EXPECT_EQ(key, tc.key);
  }
}

TEST(ConfigDescribe, SummarisesWithoutSecrets) {
  const config c = load_config(example_path, {{"TANDEM_SOURCE_USERNAME", "alice"},
                                              {"TANDEM_SOURCE_PASSWORD", "s3cret-source"},
                                              {"TANDEM_TARGET_USERNAME", "bob"},
                                              {"TANDEM_TARGET_PASSWORD", "s3cret-target"},
                                              {"TANDEM_ADMIN_BEARER_TOKEN", "s3cret-token"},
                                              {"TANDEM_ROUTING_WRITE_ACK", "strict"}});
  const std::string d = describe(c);
  EXPECT_EQ(d.find("s3cret"), std::string::npos) << d;
  EXPECT_NE(d.find("listen 127.0.0.1:9042"), std::string::npos) << d;
  EXPECT_NE(d.find("source 127.0.0.2 port 9042, user alice"), std::string::npos) << d;
  EXPECT_NE(d.find("target 127.0.0.3 port 9042, user bob"), std::string::npos) << d;
  EXPECT_NE(d.find("write_ack strict"), std::string::npos) << d;
  EXPECT_NE(d.find("frame 256MiB"), std::string::npos) << d;
  EXPECT_NE(d.find("with bearer token"), std::string::npos) << d;
}

TEST(ConfigParse, ReadsDurations) {
  const struct {
    const char* text;
    std::optional<std::chrono::milliseconds> value;
  } cases[] = {
      {"500ms", 500ms},
      {"10s", 10s},
      {"2m", 2min},
      {"1h", 1h},
      {"0", 0ms},
      {"0s", 0ms},
      {"10", std::nullopt},
      {"1.5s", std::nullopt},
      {"", std::nullopt},
      {"s", std::nullopt},
      {"-1s", std::nullopt},
      {"10 s", std::nullopt},
      {"5d", std::nullopt},
      {"9999999999h", std::nullopt},
  };
  for (const auto& tc : cases) {
    EXPECT_EQ(client::parse_duration(tc.text), tc.value) << tc.text;
  }
}

TEST(ConfigParse, ReadsSizes) {
  const struct {
    const char* text;
    std::optional<std::uint64_t> value;
  } cases[] = {
      {"256MiB", 256ull << 20},
      {"64KiB", 64ull << 10},
      {"1GiB", 1ull << 30},
      {"512B", 512},
      {"4096", 4096},
      {"0", 0},
      {"64KB", std::nullopt},
      {"1.5MiB", std::nullopt},
      {"MiB", std::nullopt},
      {"", std::nullopt},
      {"99999999999999999999", std::nullopt},
      {"17179869184GiB", std::nullopt},
  };
  for (const auto& tc : cases) {
    EXPECT_EQ(client::parse_size(tc.text), tc.value) << tc.text;
  }
}

}  // namespace
}  // namespace tandem::proxy
