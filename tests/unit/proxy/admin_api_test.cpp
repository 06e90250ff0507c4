// The admin API without sockets (admin_api.hpp): health, the token, the routing change and
// its persistence, shadow-read settings, metrics. The HTTP transport and the real clusters are
// exercised in tests/integration/test_admin_*.py.
#include "proxy/admin_api.hpp"

#include "proxy/routing_state.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace tandem::proxy {
namespace {

namespace json = boost::json;

std::shared_ptr<proxy_context> context(config c = default_config()) {
  return std::make_shared<proxy_context>(std::move(c));
}

admin_response get(admin_api& api, const std::string& target, const std::string& auth = "") {
  return api.handle({"GET", target, auth, ""});
}

admin_response post(admin_api& api, const std::string& target, const std::string& body) {
  return api.handle({"POST", target, "", body});
}

std::string temp_path(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("tandem-admin-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

TEST(AdminApi, LiveAlwaysAndReadyOnlyWithBothClustersAndTheListener) {
  auto ctx = context();
  admin_api api(ctx);
  EXPECT_EQ(get(api, "/health/live").status, 200u);
  auto not_ready = get(api, "/health/ready");
  EXPECT_EQ(not_ready.status, 503u);
  EXPECT_NE(not_ready.body.find("source unreachable"), std::string::npos) << not_ready.body;
  EXPECT_NE(not_ready.body.find("listener"), std::string::npos) << not_ready.body;
  ctx->listening = true;
  ctx->reachable[0] = true;
  ctx->reachable[1] = true;
  EXPECT_EQ(get(api, "/health/ready").status, 200u);
  ctx->reachable[1] = false;
  ctx->set_unreachable_reason(cluster::target, "connect timed out");
  auto r = get(api, "/health/ready");
  EXPECT_EQ(r.status, 503u);
  EXPECT_NE(r.body.find("target unreachable: connect timed out"), std::string::npos) << r.body;
}

TEST(AdminApi, ATokenGuardsEverythingButHealth) {
  config c = default_config();
  c.admin.bearer_token = "s3cret";
  admin_api api(context(c));
  EXPECT_EQ(get(api, "/health/live").status, 200u);
  EXPECT_EQ(get(api, "/metrics").status, 401u);
  EXPECT_EQ(get(api, "/api/v1/status", "Bearer wrong").status, 401u);
  EXPECT_EQ(get(api, "/api/v1/status", "Bearer s3cre").status, 401u);
  EXPECT_EQ(get(api, "/api/v1/status", "Bearer s3cret").status, 200u);
  EXPECT_EQ(get(api, "/").status, 401u);
  EXPECT_EQ(get(api, "/?token=s3cret").status, 200u);
  EXPECT_EQ(api.handle({"POST", "/api/v1/routing", "", "{\"primary\":\"target\"}"}).status, 401u);
}

TEST(AdminApi, FlipsThePrimaryAndSavesIt) {
  config c = default_config();
  c.routing.state_file = temp_path("routing.state");
  std::filesystem::remove(c.routing.state_file);
  auto ctx = context(c);
  admin_api api(ctx);
  auto r = post(api, "/api/v1/routing", "{\"primary\":\"target\"}");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(ctx->primary.load(), cluster::target);
  EXPECT_EQ(json::parse(r.body).at("routing").at("primary").as_string(), "target");
  auto saved = read_routing_file(c.routing.state_file);
  ASSERT_TRUE(saved.primary);
  EXPECT_EQ(*saved.primary, cluster::target);
  EXPECT_EQ(ctx->stats.snapshot().routing_changes, 1u);
  ASSERT_EQ(post(api, "/api/v1/routing", "{\"primary\":\"source\"}").status, 200u);
  EXPECT_EQ(*read_routing_file(c.routing.state_file).primary, cluster::source);
}

TEST(AdminApi, RefusesAFlipItCannotSave) {
  config c = default_config();
  c.routing.state_file = "/nonexistent-dir/for/tandem/routing.state";
  auto ctx = context(c);
  admin_api api(ctx);
  auto r = post(api, "/api/v1/routing", "{\"primary\":\"target\"}");
  EXPECT_EQ(r.status, 500u);
  EXPECT_NE(r.body.find("not applied"), std::string::npos) << r.body;
  EXPECT_EQ(ctx->primary.load(), cluster::source);
}

TEST(AdminApi, RefusesMalformedRoutingChanges) {
  auto ctx = context();
  admin_api api(ctx);
  const std::pair<const char*, const char*> cases[] = {
      {"not json", "JSON object"},
      {"[1]", "JSON object"},
      {"{}", "nothing to change"},
      {"{\"primary\":\"origin\"}", "primary must be"},
      {"{\"primary\":1}", "primary must be"},
      {"{\"primry\":\"target\"}", "unknown field \\\"primry\\\""},
      {"{\"shadow_reads\":\"yes\"}", "true or false"},
      {"{\"shadow_reads\":true,\"sample\":2}", "from 0 to 1"},
      {"{\"shadow_reads\":false,\"sample\":0.5}", "sample given with shadow_reads false"},
  };
  for (const auto& [body, expected] : cases) {
    SCOPED_TRACE(body);
    auto r = post(api, "/api/v1/routing", body);
    EXPECT_EQ(r.status, 400u);
    EXPECT_NE(r.body.find(expected), std::string::npos) << r.body;
  }
  EXPECT_EQ(ctx->primary.load(), cluster::source);
  EXPECT_EQ(ctx->shadow_sample.load(), 0.0);
}

TEST(AdminApi, SetsShadowReads) {
  auto ctx = context();
  admin_api api(ctx);
  ASSERT_EQ(post(api, "/api/v1/routing", "{\"shadow_reads\":true,\"sample\":0.25}").status, 200u);
  EXPECT_EQ(ctx->shadow_sample.load(), 0.25);
  ASSERT_EQ(post(api, "/api/v1/routing", "{\"shadow_reads\":true}").status, 200u);
  EXPECT_EQ(ctx->shadow_sample.load(), 0.01);
  ASSERT_EQ(post(api, "/api/v1/routing", "{\"shadow_reads\":false}").status, 200u);
  EXPECT_EQ(ctx->shadow_sample.load(), 0.0);
}

TEST(AdminApi, StatusHoldsRoutingT0AndCounters) {
  auto ctx = context();
  ctx->t0_recorded = 1'700'000'000'000'000;
  bump(ctx->stats.local().requests_write, 7);
  admin_api api(ctx);
  auto r = get(api, "/api/v1/status");
  ASSERT_EQ(r.status, 200u);
  auto v = json::parse(r.body);
  EXPECT_EQ(v.at("routing").at("primary").as_string(), "source");
  EXPECT_EQ(v.at("write_ack").as_string(), "source_authoritative");
  EXPECT_EQ(v.at("t0").at("recorded_us").to_number<std::int64_t>(), 1'700'000'000'000'000);
  EXPECT_EQ(v.at("counters").at("requests_write").to_number<std::uint64_t>(), 7u);
  EXPECT_EQ(v.at("clusters").at("target").at("nodes").as_array().size(), 1u);
}

TEST(AdminApi, ServesMetricsAndThePage) {
  auto ctx = context();
  ctx->primary = cluster::target;
  admin_api api(ctx);
  auto m = get(api, "/metrics");
  EXPECT_EQ(m.status, 200u);
  EXPECT_EQ(m.content_type.rfind("text/plain; version=0.0.4", 0), 0u);
  EXPECT_NE(m.body.find("tandem_primary{cluster=\"target\"} 1\n"), std::string::npos);
  EXPECT_NE(m.body.find("# TYPE tandem_client_request_duration_seconds histogram"),
            std::string::npos);
  auto page = get(api, "/");
  EXPECT_EQ(page.status, 200u);
  EXPECT_NE(page.body.find("<title>Tandem migration status</title>"), std::string::npos);
  EXPECT_EQ(page.body.find("<script src"), std::string::npos);  // self-contained
  EXPECT_EQ(get(api, "/no/such").status, 404u);
  EXPECT_EQ(api.handle({"DELETE", "/api/v1/routing", "", ""}).status, 405u);
}

// A stand-in for the backfill (the real one runs in tests/integration/test_backfill.py).
class recording_backfill : public backfill::control {
 public:
  std::string start() override { return record("start"); }
  std::string pause() override { return record("pause"); }
  std::string resume() override { return record("resume"); }
  std::string status_json() const override { return "{\"state\":\"" + state + "\"}"; }
  std::uint64_t rows_copied() const override { return rows; }
  std::string cutover_json(const backfill::cutover_live& live) const override {
    return std::string("{\"source\":") + (live.source_reachable ? "true" : "false") +
           ",\"target\":" + (live.target_reachable ? "true" : "false") +
           ",\"failure\":" + std::to_string(live.last_target_write_failure_us) +
           ",\"journals\":" + std::to_string(live.journal.proxies.size()) + "}";
  }
  std::string record(const std::string& action) {
    calls += action + ";";
    return refuse;
  }
  std::string calls;
  std::string refuse;
  std::string state = "idle";
  std::uint64_t rows = 0;
};

TEST(AdminApi, CutoverGateGetsWhatTheProxyKnowsLive) {
  auto ctx = context();
  admin_api without(ctx);
  EXPECT_EQ(get(without, "/api/v1/cutover").status, 501u);
  auto job = std::make_shared<recording_backfill>();
  admin_api api(ctx, job);
  ctx->reachable[0].store(true);
  ctx->reachable[1].store(false);
  ctx->last_target_write_failure_us.store(1234);
  const auto a = get(api, "/api/v1/cutover");
  EXPECT_EQ(a.status, 200u);
  EXPECT_EQ(a.body, "{\"source\":true,\"target\":false,\"failure\":1234,\"journals\":0}");
  EXPECT_EQ(post(api, "/api/v1/cutover", "{}").status, 405u);
}

TEST(AdminApi, BackfillActionsReachTheJob) {
  auto ctx = context();
  admin_api without(ctx);
  EXPECT_EQ(get(without, "/api/v1/backfill").status, 501u);
  auto job = std::make_shared<recording_backfill>();
  admin_api api(ctx, job);
  EXPECT_EQ(get(api, "/api/v1/backfill").body, "{\"state\":\"idle\"}");
  EXPECT_EQ(post(api, "/api/v1/backfill", "{\"action\":\"start\"}").status, 200u);
  EXPECT_EQ(post(api, "/api/v1/backfill", "{\"action\":\"pause\"}").status, 200u);
  job->refuse = "no backfill is running";
  auto refused = post(api, "/api/v1/backfill", "{\"action\":\"resume\"}");
  EXPECT_EQ(refused.status, 409u);
  EXPECT_NE(refused.body.find("no backfill is running"), std::string::npos);
  EXPECT_EQ(post(api, "/api/v1/backfill", "{\"action\":\"stop\"}").status, 400u);
  EXPECT_EQ(post(api, "/api/v1/backfill", "start").status, 400u);
  EXPECT_EQ(job->calls, "start;pause;resume;");
  job->state = "running";
  auto status = json::parse(get(api, "/api/v1/status").body);
  EXPECT_EQ(status.at("backfill").at("state").as_string(), "running");
}

}  // namespace
}  // namespace tandem::proxy
