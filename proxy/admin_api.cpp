#include "proxy/admin_api.hpp"

#include "proxy/journal_status.hpp"
#include "proxy/metrics_export.hpp"
#include "proxy/routing_state.hpp"
#include "proxy/status_page.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

namespace tandem::proxy {
namespace {

namespace json = boost::json;

admin_response json_answer(unsigned status, const json::value& v) {
  return admin_response{status, "application/json", json::serialize(v) + "\n"};
}

admin_response error_answer(unsigned status, const std::string& message) {
  return json_answer(status, json::object{{"error", message}});
}

std::string path_of(const std::string& target) { return target.substr(0, target.find('?')); }

// The value of `name` in the target's query string ("" when absent); no %-decoding: tokens are
// configured by people, who keep to characters a URL carries as they are.
std::string query_parameter(const std::string& target, const std::string& name) {
  const auto q = target.find('?');
  if (q == std::string::npos) {
    return {};
  }
  std::string_view rest(target);
  rest.remove_prefix(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name &&
        pair[name.size()] == '=') {
      return std::string(pair.substr(name.size() + 1));
    }
    if (amp == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(amp + 1);
  }
  return {};
}

// Compares in time independent of where the first difference is.
bool same_secret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0;
}

json::object counters_json(const proxy_counts& st) {
  json::object o;
#define TANDEM_COUNTER_JSON(name, help) o[#name] = st.name;
  TANDEM_PROXY_COUNTERS(TANDEM_COUNTER_JSON)
#undef TANDEM_COUNTER_JSON
  return o;
}

json::object latency_json(const latency_histogram::snapshot& s) {
  // The mean and an upper bound of the 99th percentile (the bucket it falls in), in ms.
  json::object o;
  o["count"] = s.count;
  o["mean_ms"] = s.count == 0 ? 0.0 : s.sum_seconds * 1000.0 / static_cast<double>(s.count);
  o["p99_upper_ms"] = p99_upper_ms(s);
  return o;
}

}  // namespace

bool admin_api::authorized(const admin_request& r) const {
  const std::string& token = ctx_->cfg.admin.bearer_token;
  if (token.empty()) {
    return true;
  }
  static constexpr std::string_view bearer = "Bearer ";
  if (r.authorization.size() > bearer.size() &&
      r.authorization.compare(0, bearer.size(), bearer) == 0) {
    return same_secret(std::string_view(r.authorization).substr(bearer.size()), token);
  }
  // A browser cannot send a header when it opens a page: the status page takes ?token=.
  const std::string from_query = query_parameter(r.target, "token");
  return !from_query.empty() && same_secret(from_query, token);
}

admin_response admin_api::handle(const admin_request& r) {
  const std::string path = path_of(r.target);
  if (path == "/health/live") {
    return json_answer(200, json::object{{"status", "live"}});
  }
  if (path == "/health/ready") {
    json::array reasons;
    if (!ctx_->listening.load()) {
      reasons.emplace_back("the client listener is not up");
    }
    for (cluster c : {cluster::source, cluster::target}) {
      if (!ctx_->reachable[static_cast<std::size_t>(c)].load()) {
        reasons.emplace_back(std::string(cluster_name(c)) + " unreachable: " +
                             ctx_->unreachable_reason(c));
      }
    }
    if (reasons.empty()) {
      return json_answer(200, json::object{{"status", "ready"}});
    }
    return json_answer(503, json::object{{"status", "not ready"}, {"reasons", reasons}});
  }
  if (!authorized(r)) {
    auto a = error_answer(401, "this endpoint needs Authorization: Bearer <admin.bearer_token>");
    return a;
  }
  const bool get = r.method == "GET" || r.method == "HEAD";
  if (path == "/metrics" && get) {
    return admin_response{200, "text/plain; version=0.0.4; charset=utf-8", render_metrics(*ctx_)};
  }
  if (path == "/api/v1/status" && get) {
    return admin_response{200, "application/json", status_json()};
  }
  if (path == "/api/v1/history" && get) {
    return admin_response{200, "application/json", ctx_->history.json()};
  }
  if (path == "/api/v1/journal" && get) {
    return admin_response{200, "application/json", journal_json(*ctx_) + "\n"};
  }
  if (path == "/api/v1/routing") {
    if (r.method == "POST") {
      return routing_change(r);
    }
    if (get) {
      return admin_response{200, "application/json", status_json()};
    }
    return error_answer(405, "use GET or POST on /api/v1/routing");
  }
  if (path == "/api/v1/backfill") {
    if (!backfill_) {
      return error_answer(501, "the backfill is not available in this process");
    }
    if (r.method == "POST") {
      return backfill_action(r);
    }
    if (get) {
      return admin_response{200, "application/json", backfill_->status_json()};
    }
    return error_answer(405, "use GET or POST on /api/v1/backfill");
  }
  if (path == "/api/v1/cutover") {
    if (!get) {
      return error_answer(405, "use GET on /api/v1/cutover");
    }
    if (!backfill_) {
      return error_answer(501, "the cutover gate is not available in this process");
    }
    return admin_response{
        200, "application/json",
        backfill_->cutover_json(backfill::cutover_live{
            ctx_->reachable[static_cast<std::size_t>(cluster::source)].load(),
            ctx_->reachable[static_cast<std::size_t>(cluster::target)].load(),
            ctx_->last_target_write_failure_us.load(), live_journal_facts(*ctx_)})};
  }
  if ((path == "/" || path == "/index.html") && get) {
    return admin_response{200, "text/html; charset=utf-8", std::string(status_page_html())};
  }
  if (path == "/metrics" || path == "/api/v1/status" || path == "/") {
    return error_answer(405, "use GET on " + path);
  }
  return error_answer(404, "no such endpoint: " + path +
                               " (try /, /health/live, /health/ready, /metrics, /api/v1/status, "
                               "/api/v1/routing, /api/v1/journal, /api/v1/history, "
                               "/api/v1/backfill, /api/v1/cutover)");
}

std::string admin_api::set_primary(cluster c, const std::string& reason) {
  const cluster before = ctx_->primary.load();
  const std::string& file = ctx_->cfg.routing.state_file;
  if (!file.empty()) {
    if (auto err = write_routing_file(file, c); !err.empty()) {
      spdlog::error("routing: primary stays {}: the choice of {} could not be saved ({})",
                    cluster_name(before), cluster_name(c), err);
      return "the choice could not be saved, so it was not applied: " + err;
    }
  }
  ctx_->primary.store(c);
  if (before != c) {
    bump(ctx_->stats.local().routing_changes);
  }
  spdlog::warn("routing: primary {} -> {} ({}){}", cluster_name(before), cluster_name(c), reason,
               file.empty() ? "; routing.state_file is empty, so a restart returns to "
                              "routing.primary"
                            : "");
  return {};
}

admin_response admin_api::routing_change(const admin_request& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  if (ec || !v.is_object()) {
    return error_answer(400, "the body must be a JSON object such as {\"primary\":\"target\"} "
                             "or {\"shadow_reads\":true,\"sample\":0.01}");
  }
  const auto& o = v.as_object();
  for (const auto& [key, value] : o) {
    if (key != "primary" && key != "shadow_reads" && key != "sample") {
      return error_answer(400, "unknown field \"" + std::string(key) +
                                   "\" (expected primary, shadow_reads, sample)");
    }
  }
  std::optional<cluster> primary;
  if (const auto* p = o.if_contains("primary")) {
    if (p->is_string() && p->as_string() == "source") {
      primary = cluster::source;
    } else if (p->is_string() && p->as_string() == "target") {
      primary = cluster::target;
    } else {
      return error_answer(400, "primary must be \"source\" or \"target\"");
    }
  }
  std::optional<double> sample;
  if (const auto* s = o.if_contains("shadow_reads")) {
    if (!s->is_bool()) {
      return error_answer(400, "shadow_reads must be true or false");
    }
    sample = s->as_bool() ? 0.01 : 0.0;
  }
  if (const auto* s = o.if_contains("sample")) {
    if (!s->is_number() || s->to_number<double>() < 0.0 || s->to_number<double>() > 1.0) {
      return error_answer(400, "sample must be a number from 0 to 1");
    }
    if (const auto* on = o.if_contains("shadow_reads"); on && on->is_bool() && !on->as_bool()) {
      return error_answer(400, "sample given with shadow_reads false");
    }
    sample = s->to_number<double>();
  }
  if (!primary && !sample) {
    return error_answer(400, "nothing to change: give primary and/or shadow_reads");
  }
  if (primary) {
    if (auto err = set_primary(*primary, "admin API"); !err.empty()) {
      return error_answer(500, err);
    }
  }
  if (sample) {
    ctx_->shadow_sample.store(*sample);
    spdlog::info("routing: shadow reads {} (sample {})", *sample > 0 ? "on" : "off", *sample);
  }
  return admin_response{200, "application/json", status_json()};
}

admin_response admin_api::backfill_action(const admin_request& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  const json::string* action = nullptr;
  if (!ec && v.is_object()) {
    if (const auto* a = v.as_object().if_contains("action"); a && a->is_string()) {
      action = &a->as_string();
    }
  }
  if (action == nullptr) {
    return error_answer(400, "the body must be {\"action\": \"start\" | \"pause\" | \"resume\"}");
  }
  std::string refused;
  if (*action == "start") {
    refused = backfill_->start();
  } else if (*action == "pause") {
    refused = backfill_->pause();
  } else if (*action == "resume") {
    refused = backfill_->resume();
  } else {
    return error_answer(400, "action must be start, pause or resume");
  }
  if (!refused.empty()) {
    return error_answer(409, refused);
  }
  spdlog::info("backfill: {} (admin API)", std::string(*action));
  return admin_response{200, "application/json", backfill_->status_json()};
}

std::string admin_api::status_json() const {
  const auto& cfg = ctx_->cfg;
  json::object root;
  root["version"] = TANDEM_VERSION;
  root["uptime_seconds"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - ctx_->started).count();
  json::object clusters;
  for (cluster c : {cluster::source, cluster::target}) {
    json::object o;
    json::array nodes;
    for (const auto& n : ctx_->nodes(c)) {
      nodes.emplace_back(n.host + ":" + std::to_string(n.port));
    }
    o["nodes"] = std::move(nodes);
    const bool up = ctx_->reachable[static_cast<std::size_t>(c)].load();
    o["reachable"] = up;
    if (!up) {
      o["unreachable_reason"] = ctx_->unreachable_reason(c);
    }
    const auto id = ctx_->identity(c);
    o["release_version"] = id.release_version;
    o["cluster_name"] = id.cluster_name;
    o["data_center"] = id.data_center;
    // The proxy speaks to a cluster in the version its client chose; these are the ones it
    // offers (spec v5 §1: v3, v4, v5), and the tls setting.
    o["protocol_versions"] = json::array{"v3", "v4", "v5"};
    o["tls"] = (c == cluster::source ? cfg.source.tls.enabled : cfg.target.tls.enabled);
    o["latency"] = latency_json(ctx_->cluster_latency[static_cast<std::size_t>(c)].read());
    clusters[cluster_name(c)] = std::move(o);
  }
  root["clusters"] = std::move(clusters);
  json::object routing;
  routing["primary"] = cluster_name(ctx_->primary.load());
  routing["shadow_reads"] = ctx_->shadow_sample.load() > 0.0;
  routing["shadow_sample"] = ctx_->shadow_sample.load();
  routing["state_file"] = cfg.routing.state_file;
  root["routing"] = std::move(routing);
  root["write_ack"] = std::string(to_string(cfg.routing.write_ack));
  json::object t0;
  t0["first_mirrored_write_us"] = ctx_->t0.load();
  t0["recorded_us"] = ctx_->t0_recorded.load();
  t0["keyspace"] = cfg.target.state_keyspace;
  root["t0"] = std::move(t0);
  root["last_target_write_failure_us"] = ctx_->last_target_write_failure_us.load();
  const auto counts = ctx_->stats.snapshot();
  root["client_connections"] =
      counts.client_connections_opened - counts.client_connections_closed;
  root["requests_in_flight"] = ctx_->requests_in_flight.load();
  root["client_latency"] = latency_json(ctx_->client_latency.read());
  json::object prepared;
  prepared["size"] = ctx_->prepared.size();
  prepared["capacity"] = ctx_->prepared.capacity();
  prepared["evictions"] = ctx_->prepared.evictions();
  root["prepared"] = std::move(prepared);
  root["counters"] = counters_json(counts);
  json::object errors;
  for (const auto& e : ctx_->cluster_errors.read()) {
    errors[std::string(cluster_name(e.c)) + "." + std::string(e.error)] = e.count;
  }
  root["cluster_errors"] = std::move(errors);
  // Panels later issues fill.
  if (backfill_) {
    boost::system::error_code ec;
    root["backfill"] = json::parse(backfill_->status_json(), ec);
  } else {
    root["backfill"] = json::object{{"state", "not available"}};
  }
  boost::system::error_code jec;
  root["journal"] = json::parse(journal_json(*ctx_), jec);
  return json::serialize(root) + "\n";
}

}  // namespace tandem::proxy
