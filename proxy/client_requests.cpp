// The client session's requests after READY: routing (routing.hpp decides), the one write
// timestamp on both clusters, literal values for now()/uuid(), prepared ids per cluster with
// transparent re-preparation, and the answer chosen by the acknowledgement mode.
#include "proxy/client_session.hpp"

#include "protocol/messages/batch.hpp"
#include "protocol/messages/error_message.hpp"
#include "protocol/messages/execute.hpp"
#include "protocol/messages/prepare.hpp"
#include "protocol/messages/query.hpp"
#include "protocol/messages/result.hpp"
#include "protocol/request_edit.hpp"
#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"
#include "proxy/literal_values.hpp"
#include "proxy/prepared_rewrite.hpp"
#include "protocol/request_body.hpp"
#include "proxy/shadow_compare.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <spdlog/spdlog.h>

#include <array>

namespace tandem::proxy {

using protocol::opcode;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto unprepared_code = static_cast<std::int32_t>(protocol::error_code::unprepared);

std::int32_t error_code_of(const protocol::owned_frame& f) {
  protocol::wire_reader r(f.body);
  auto code = r.read_int();
  return code ? *code : 0;
}

cluster_answer answer_of(const client::call_result& r) {
  if (!r.ok()) {
    return cluster_answer::timeout();
  }
  if (r.frame.header.op == opcode::error) {
    return cluster_answer::error(error_code_of(r.frame));
  }
  return cluster_answer::success(r.frame.header.op);
}

// The id an UNPREPARED error names (spec v4 §9, code 0x2500: [short bytes] id).
std::optional<protocol::bytes> unprepared_id(const client::call_result& r) {
  if (!r.ok() || r.frame.header.op != opcode::error || error_code_of(r.frame) != unprepared_code) {
    return std::nullopt;
  }
  protocol::wire_reader rd(r.frame.body);
  (void)rd.read_int();
  (void)rd.read_string();
  auto id = rd.read_short_bytes();
  if (!id) {
    return std::nullopt;
  }
  return protocol::bytes(id->begin(), id->end());
}

// What a failed mirrored write is logged as: its statement, after the timestamp it carried
// (pinned by the proxy or the client's), so an operator can replay it exactly.
std::string describe_write(std::optional<std::int64_t> ts, std::string_view statement) {
  std::string out = ts ? "[timestamp " + std::to_string(*ts) + "] " : "[server timestamp] ";
  return out.append(statement);
}

std::optional<std::int64_t> timestamp_sent(bool pinned, std::int64_t pinned_ts,
                                           const protocol::result<std::optional<std::int64_t>>& client) {
  if (pinned) {
    return pinned_ts;
  }
  return client ? *client : std::nullopt;
}

}  // namespace

std::string write_description::to_string() const {
  return describe_write(timestamp, prepared ? std::string_view(prepared->query) : text);
}

std::shared_ptr<client::cluster_connection> client_session::connection(cluster c) const {
  return c == cluster::source ? source_ : target_;
}

void client_session::note_secondary_failure(cluster c, const client::call_result& r,
                                            const write_description& what) {
  bump(c == cluster::target ? ctx_->stats.target_write_failures : ctx_->stats.source_failures);
  if (c == cluster::target) {
    ctx_->last_target_write_failure_us.store(client::write_clock::system_now_us());
  }
  // A target outage fails every mirrored write: log at most a few a second, say how many not.
  const auto suppressed = ctx_->failure_log.admit();
  if (!suppressed) {
    return;
  }
  const std::string detail =
      r.ok() ? "error " + std::to_string(error_code_of(r.frame)) : r.detail;
  spdlog::warn("client {}: {} write failed ({}){}: {}", peer_, cluster_name(c), detail,
               *suppressed > 0 ? " [" + std::to_string(*suppressed) + " more not logged]" : "",
               what.to_string().substr(0, 200));
}

// A lost target connection is opened again (at most every two seconds) without dropping the
// client: the client's session state (its USE keyspace) is restored on the new connection.
asio::awaitable<bool> client_session::reconnect_target() {
  const auto now = std::chrono::steady_clock::now();
  if (target_reconnecting_ || now < next_target_attempt_ || phase_ == phase::closing) {
    co_return false;
  }
  target_reconnecting_ = true;
  next_target_attempt_ = now + std::chrono::seconds(2);
  auto err = co_await open_target();
  bool ok = err.empty() && !target_auth_pending_;
  if (ok && !keyspace_.empty()) {
    protocol::query_message use;
    use.query = "USE \"" + keyspace_ + "\"";
    protocol::bytes body = protocol::encode_query(use, version_);
    auto r = co_await target_->call(opcode::query, std::move(body));
    ok = r.ok() && r.frame.header.op == opcode::result;
  }
  target_reconnecting_ = false;
  if (ok) {
    spdlog::info("client {}: target connection re-established", peer_);
  } else {
    spdlog::warn("client {}: target still unavailable: {}", peer_, err.empty() ? "USE failed" : err);
  }
  co_return ok;
}

// One request to a cluster, counted and timed for the metrics, its failure classified.
asio::awaitable<client::call_result> client_session::timed_call(client::cluster_connection& conn, cluster c,
                                                        opcode op, protocol::bytes body,
                                                        std::uint8_t flags) {
  const auto begin = std::chrono::steady_clock::now();
  auto r = co_await conn.call(op, std::move(body), flags);
  const auto ci = static_cast<std::size_t>(c);
  ctx_->cluster_latency[ci].observe(std::chrono::steady_clock::now() - begin);
  const auto oi = static_cast<std::size_t>(op);
  if (oi < ctx_->cluster_requests[ci].size()) {
    bump(ctx_->cluster_requests[ci][oi]);
  }
  switch (r.failure) {
    case client::call_failure::none:
      if (r.frame.header.op == opcode::error) {
        ctx_->cluster_errors.count_code(c, error_code_of(r.frame));
      }
      break;
    case client::call_failure::timed_out:
      ctx_->cluster_errors.count_local(c, "proxy_timeout");
      break;
    case client::call_failure::disconnected:
      ctx_->cluster_errors.count_local(c, "connection_lost");
      break;
    case client::call_failure::overloaded:
      ctx_->cluster_errors.count_local(c, "proxy_overloaded");
      break;
    case client::call_failure::protocol:
      ctx_->cluster_errors.count_local(c, "proxy_rewrite");
      break;
  }
  co_return r;
}

asio::awaitable<client::call_result> client_session::call_on(cluster c, opcode op, std::uint8_t flags,
                                                     body_builder build) {
  auto conn = connection(c);
  if (c == cluster::target && (!conn || !conn->is_open()) && co_await reconnect_target()) {
    conn = connection(c);
  }
  if (!conn || !conn->is_open()) {
    co_return client::call_result{client::call_failure::disconnected,
                          std::string(cluster_name(c)) + " connection is not open", {}};
  }
  auto body = build(c);
  if (!body) {
    co_return client::call_result{client::call_failure::protocol, "cannot rewrite the request: " + body.error().message(), {}};
  }
  auto r = co_await timed_call(*conn, c, op, std::move(*body), flags);
  // UNPREPARED: the node forgot the statement (restart, cache eviction). Prepare it again
  // from the text we kept and retry once, without the client noticing.
  if (auto id = unprepared_id(r)) {
    auto entry = ctx_->prepared.find(*id);
    if (!entry) {
      entry = ctx_->prepared.find_by_secondary(*id);
    }
    if (entry && co_await reprepare(c, entry)) {
      bump(ctx_->stats.reprepared);
      auto again = build(c);
      if (again) {
        r = co_await timed_call(*conn, c, op, std::move(*again), flags);
      }
    }
  }
  co_return r;
}

asio::awaitable<bool> client_session::reprepare(cluster c, prepared_id_map::entry_ptr entry) {
  auto conn = connection(c);
  if (!conn || !conn->is_open()) {
    co_return false;
  }
  protocol::prepare_message p;
  p.query = entry->prepared_query;
  if (version_ == protocol::protocol_version::v5) {
    p.keyspace = entry->keyspace;
  }
  protocol::bytes body = protocol::encode_prepare(p, version_);
  auto r = co_await conn->call(opcode::prepare, std::move(body));
  if (!r.ok() || r.frame.header.op != opcode::result) {
    co_return false;
  }
  auto decoded = protocol::decode_result(r.frame.body, version_);
  if (!decoded || !std::holds_alternative<protocol::prepared_result>(*decoded)) {
    co_return false;
  }
  const auto& pr = std::get<protocol::prepared_result>(*decoded);
  if (c != entry->primary_cluster) {
    ctx_->prepared.update_secondary(entry->primary_id, pr.id, pr.result_metadata_id);
  }
  co_return true;
}

// Sends a request to both clusters and answers the client. Without `wait_for_secondary`
// (source_authoritative writes) the client's answer does not wait for the secondary.
asio::awaitable<void> client_session::mirror(const protocol::frame_header& request,
                                             body_builder build, bool wait_for_secondary,
                                             write_description what) {
  const auto state = ctx_->routing();
  const cluster primary_c = state.primary;
  const cluster secondary_c = other_cluster(primary_c);
  const auto mode = ctx_->write_ack();
  const bool wait = wait_for_secondary || mode == ack_mode::strict;
  auto self = shared_from_this();
  if (!wait) {
    // The secondary's copy counts as in flight until it is answered: the read loop's
    // backpressure then bounds the writes queued towards a slow target (instead of running the
    // target connection out of stream ids), and shutdown drains them too.
    ++in_flight_;
    ctx_->requests_in_flight.fetch_add(1, std::memory_order_relaxed);
    asio::co_spawn(
        stream_.get_executor(),
        [self, secondary_c, request, build, what = std::move(what)]() -> asio::awaitable<void> {
          auto r = co_await self->call_on(secondary_c, request.op, request.flags, build);
          auto a = answer_of(r);
          if (is_failure(a, true)) {
            self->note_secondary_failure(secondary_c, r, what);
          }
          --self->in_flight_;
          self->ctx_->requests_in_flight.fetch_sub(1, std::memory_order_relaxed);
          self->slot_freed_.cancel();
        },
        asio::detached);
    auto r = co_await call_on(primary_c, request.op, request.flags, build);
    r.ok() ? reply(request, r.frame) : reply_call_failure(request, r);
    co_return;
  }
  auto on_primary = call_on(primary_c, request.op, request.flags, build);
  auto on_secondary = call_on(secondary_c, request.op, request.flags, build);
  auto [p, s] = co_await (std::move(on_primary) && std::move(on_secondary));
  const auto d = merge(answer_of(p), answer_of(s), mode, primary_c);
  if (d.count_target_failure) {
    note_secondary_failure(d.failed_cluster, d.failed_cluster == primary_c ? p : s, what);
  }
  const client::call_result& chosen = d.answer_from == merged_choice::primary ? p : s;
  chosen.ok() ? reply(request, chosen.frame) : reply_call_failure(request, chosen);
}

// system.local / system.peers / system.peers_v2: the proxy answers with its own instances, so
// drivers keep talking to the proxies (DESIGN.md "Topology").
void client_session::answer_topology(const protocol::frame_header& request, std::string_view text,
                                     const std::vector<protocol::value>& values) {
  bump(ctx_->stats.requests_topology);
  auto q = parse_system_select(text, keyspace_);
  std::vector<std::optional<protocol::bytes>> bound;
  for (const auto& v : values) {
    bound.push_back(v.state == protocol::value::kind::set ? std::optional(v.data) : std::nullopt);
  }
  auto rows = q ? answer_select(ctx_->topology, *q, bound)
                : query_result<protocol::rows_result>(q.error());
  if (!rows) {
    reply_error(request, static_cast<std::int32_t>(protocol::error_code::invalid), rows.error());
    return;
  }
  protocol::result_message m = std::move(*rows);
  reply(request, protocol::owned_frame{{version_, true, 0, request.stream, opcode::result, 0},
                                       protocol::encode_result(m, version_)});
}

// The cluster a read goes to: the primary, except for the next page of a read that began on
// the other cluster before a flip (a paging state means nothing to the other cluster).
cluster client_session::read_cluster(const protocol::frame_header& h, protocol::bytes_view body) {
  const cluster primary = ctx_->routing().primary;
  if (paging_origin_.empty() || (h.op != opcode::query && h.op != opcode::execute)) {
    return primary;
  }
  auto offset = protocol::message_offset(h, body);
  auto state = offset ? protocol::request_paging_state(h.op, version_, body.subspan(*offset)) : std::nullopt;
  if (!state) {
    return primary;
  }
  const auto it = paging_origin_.find(std::string(reinterpret_cast<const char*>(state->data()),
                                                  state->size()));
  if (it == paging_origin_.end()) {
    return primary;
  }
  const cluster origin = it->second;
  if (origin != primary) {
    bump(ctx_->stats.paged_reads_kept);
  }
  return origin;
}

// Notes which cluster produced a paging state, for read_cluster; the oldest are forgotten.
void client_session::remember_paging(cluster c, const client::call_result& r) {
  if (!r.ok() || r.frame.header.op != opcode::result) {
    return;
  }
  auto state = protocol::result_paging_state(r.frame.header, r.frame.body);
  if (!state) {
    return;
  }
  std::string key(reinterpret_cast<const char*>(state->data()), state->size());
  if (paging_origin_.emplace(key, c).second) {
    paging_order_.push_back(std::move(key));
  }
  while (paging_order_.size() > max_remembered_paging_states) {
    paging_origin_.erase(paging_order_.front());
    paging_order_.pop_front();
  }
}

asio::awaitable<void> client_session::forward_to_primary(protocol::owned_frame f,
                                                         std::string shadow_what) {
  const cluster c = read_cluster(f.header, f.body);
  const bool continued = c != ctx_->routing().primary || has_paging_state(f.header, f.body);
  auto body = std::make_shared<protocol::bytes>(std::move(f.body));
  // Named, not a temporary in the co_await expression: GCC 12 mishandles the lifetime of
  // temporaries there (destroys them twice).
  body_builder same = [body](cluster) -> protocol::result<protocol::bytes> { return *body; };
  auto r = co_await call_on(c, f.header.op, f.header.flags, same);
  remember_paging(c, r);
  r.ok() ? reply(f.header, r.frame) : reply_call_failure(f.header, r);
  if (!shadow_what.empty() && !continued && r.ok()) {
    maybe_shadow(f.header, same, r, std::move(shadow_what));
  }
}

bool client_session::has_paging_state(const protocol::frame_header& h, protocol::bytes_view body) {
  if (h.op != opcode::query && h.op != opcode::execute) {
    return false;
  }
  auto offset = protocol::message_offset(h, body);
  return offset && protocol::request_paging_state(h.op, version_, body.subspan(*offset)).has_value();
}

// Shadow reads (admin API): a sampled share of first-page reads also goes to the secondary,
// after the client has its answer; the rows are compared and mismatches counted and logged.
void client_session::maybe_shadow(const protocol::frame_header& request, body_builder build,
                                  const client::call_result& primary_answer, std::string what) {
  const double sample = ctx_->shadow_sample.load(std::memory_order_relaxed);
  if (sample <= 0.0 || ctx_->random_unit() >= sample) {
    return;
  }
  const cluster secondary = other_cluster(ctx_->routing().primary);
  auto self = shared_from_this();
  auto primary_frame = std::make_shared<protocol::owned_frame>(primary_answer.frame);
  asio::co_spawn(
      stream_.get_executor(),
      [self, secondary, request, build, primary_frame, what]() -> asio::awaitable<void> {
        auto r = co_await self->call_on(secondary, request.op, request.flags, build);
        bump(self->ctx_->stats.shadow_reads);
        if (!r.ok()) {
          bump(self->ctx_->stats.shadow_read_failures);
          co_return;
        }
        const auto verdict = compare_rows(*primary_frame, r.frame, self->version_);
        if (!verdict.comparable) {
          bump(self->ctx_->stats.shadow_read_failures);
          co_return;
        }
        if (verdict.mismatch) {
          bump(self->ctx_->stats.shadow_read_mismatches);
          if (auto suppressed = self->ctx_->failure_log.admit()) {
            spdlog::warn("shadow read mismatch{}: {}: {}",
                         *suppressed > 0 ? " [" + std::to_string(*suppressed) + " more not logged]"
                                         : std::string(),
                         *verdict.mismatch, what.substr(0, 200));
          }
        }
      },
      asio::detached);
}

asio::awaitable<void> client_session::handle_register(protocol::owned_frame f) {
  // Events come from the primary only (DESIGN.md); forwarded with stream -1.
  auto conn = connection(ctx_->routing().primary);
  if (conn) {
    std::weak_ptr<client_session> weak = shared_from_this();
    conn->on_event([weak](protocol::owned_frame event) {
      if (auto self = weak.lock()) {
        protocol::frame_header h{self->version_, false, 0, -1, opcode::event, 0};
        self->reply(h, event);
      }
    });
  }
  co_await forward_to_primary(std::move(f));
}

// The timestamp of one mirrored write: the proxy's clock when pinned, else the time now (for
// literals replacing now() in statements that carry their own timestamp).
std::int64_t client_session::write_timestamp(bool pin) {
  if (!pin) {
    return client::write_clock::system_now_us();
  }
  bump(ctx_->stats.injected_timestamps);
  return ctx_->clock.next();
}

// T0 must not be later than any mirrored data write (the backfill writes under it), so it
// follows the smallest timestamp sent, the client's own ones included.
void client_session::note_mirrored_write(std::optional<std::int64_t> sent) {
  const std::int64_t ts = sent.value_or(client::write_clock::system_now_us());
  std::int64_t current = ctx_->t0.load(std::memory_order_relaxed);
  while ((current == 0 || ts < current) &&
         !ctx_->t0.compare_exchange_weak(current, ts, std::memory_order_relaxed)) {
  }
}

asio::awaitable<void> client_session::handle_query(protocol::owned_frame f) {
  auto offset = protocol::message_offset(f.header, f.body);
  auto text = offset ? protocol::statement_text(protocol::bytes_view(f.body).subspan(*offset))
                     : protocol::result<std::string_view>(offset.error());
  if (!text) {
    protocol_violation(f.header, "Invalid QUERY message: " + text.error().message());
    co_return;
  }
  auto info = protocol::cql::classify(*text);
  const request_class cls = info ? classify_statement(*info, keyspace_) : request_class::other;
  const auto dest = route(cls, ctx_->routing());
  if (dest == destination::proxy_answers) {
    auto q = protocol::decode_query(protocol::bytes_view(f.body).subspan(*offset), version_);
    answer_topology(f.header, *text, q ? q->params.values : std::vector<protocol::value>{});
    co_return;
  }
  if (dest != destination::both) {
    bump(cls == request_class::read ? ctx_->stats.requests_read : ctx_->stats.requests_other);
    std::string shadow_what = cls == request_class::read ? std::string(*text) : std::string();
    co_await forward_to_primary(std::move(f), std::move(shadow_what));
    co_return;
  }
  const protocol::bytes_view prefix = protocol::bytes_view(f.body).first(*offset);
  protocol::bytes message(f.body.begin() + static_cast<std::ptrdiff_t>(*offset), f.body.end());
  const auto client_ts = protocol::read_default_timestamp(opcode::query, version_, message);
  const bool pin = should_pin_timestamp(cls, client_ts && client_ts->has_value(),
                                        info && info->uses_timestamp);
  const std::int64_t ts = write_timestamp(pin);
  if (info && !info->calls.empty() && is_data_write(cls)) {
    // One literal per call, the same on both clusters (issue 3: now(), uuid() ...).
    std::vector<std::string> literals;
    for (const auto& call : info->calls) {
      literals.push_back(literal_for(call.function, literal_inputs{ts, ctx_->random_bits()}));
    }
    std::vector<std::string_view> views(literals.begin(), literals.end());
    const std::string rewritten = protocol::cql::replace_calls(*text, info->calls, views);
    message = protocol::with_statement_text(message, *text, rewritten);
    bump(ctx_->stats.replaced_functions, info->calls.size());
  }
  if (pin) {
    auto stamped = protocol::with_default_timestamp(opcode::query, version_, message, ts);
    if (stamped) {
      message = std::move(*stamped);
    }
  }
  bump(is_data_write(cls) ? ctx_->stats.requests_write : ctx_->stats.requests_ddl);
  auto body = std::make_shared<protocol::bytes>(protocol::join(prefix, message));
  const bool wait_for_both = !is_data_write(cls);  // schema and USE must hold on both first
  body_builder same = [body](cluster) -> protocol::result<protocol::bytes> { return *body; };
  const auto sent = timestamp_sent(pin, ts, client_ts);
  if (is_data_write(cls)) {
    note_mirrored_write(sent);
  }
  write_description what{sent, nullptr, std::string(*text)};
  co_await mirror(f.header, same, wait_for_both, std::move(what));
  if (cls == request_class::use && info) {
    keyspace_ = info->keyspace;
  }
}

asio::awaitable<void> client_session::handle_prepare(protocol::owned_frame f) {
  bump(ctx_->stats.requests_prepare);
  auto offset = protocol::message_offset(f.header, f.body);
  auto text = offset ? protocol::statement_text(protocol::bytes_view(f.body).subspan(*offset))
                     : protocol::result<std::string_view>(offset.error());
  if (!text) {
    protocol_violation(f.header, "Invalid PREPARE message: " + text.error().message());
    co_return;
  }
  auto info = protocol::cql::classify(*text);
  const request_class cls = info ? classify_statement(*info, keyspace_) : request_class::other;
  if (route_prepare(cls, ctx_->routing()) == destination::proxy_answers) {
    // gocql prepares its control queries: the proxy prepares them itself.
    auto q = parse_system_select(*text, keyspace_);
    auto pr = q ? prepare_select(ctx_->topology, *q, *text, keyspace_, version_)
                : query_result<protocol::prepared_result>(q.error());
    if (!pr) {
      reply_error(f.header, static_cast<std::int32_t>(protocol::error_code::invalid), pr.error());
      co_return;
    }
    prepared_entry e;
    e.primary_id = pr->id;
    e.primary_result_metadata_id = pr->result_metadata_id;
    e.query = std::string(*text);
    e.prepared_query = e.query;
    e.cls = cls;
    ctx_->prepared.put(std::move(e));
    protocol::result_message m = std::move(*pr);
    reply(f.header, protocol::owned_frame{{version_, true, 0, f.header.stream, opcode::result, 0},
                                          protocol::encode_result(m, version_)});
    co_return;
  }
  // A write calling now(), uuid(), ... is prepared with a bind marker per call instead
  // (prepared_rewrite.hpp); the client's answer hides those markers.
  std::optional<prepare_rewrite> rewrite;
  if (info && is_data_write(cls)) {
    rewrite = rewrite_for_prepare(*text, *info);
  }
  const cluster primary_c = ctx_->routing().primary;
  const std::string query(*text);
  auto body = std::make_shared<protocol::bytes>(std::move(f.body));
  if (rewrite) {
    const protocol::bytes_view all(*body);
    *body = protocol::join(all.first(*offset), protocol::with_statement_text(all.subspan(*offset), query, rewrite->text));
  }
  body_builder same = [body](cluster) -> protocol::result<protocol::bytes> { return *body; };
  auto on_primary = call_on(primary_c, opcode::prepare, f.header.flags, same);
  auto on_secondary = call_on(other_cluster(primary_c), opcode::prepare, f.header.flags, same);
  auto [p, s] = co_await (std::move(on_primary) && std::move(on_secondary));
  if (!p.ok()) {
    reply_call_failure(f.header, p);
    co_return;
  }
  std::optional<protocol::prepared_result> primary_result;
  if (p.frame.header.op == opcode::result) {
    auto pr = protocol::decode_result(p.frame.body, version_);
    if (pr && std::holds_alternative<protocol::prepared_result>(*pr)) {
      primary_result = std::get<protocol::prepared_result>(std::move(*pr));
    }
  }
  if (!primary_result) {
    reply(f.header, p.frame);  // an error (or an answer the proxy cannot read): as it came
    co_return;
  }
  prepared_entry e;
  e.primary_id = primary_result->id;
  e.primary_result_metadata_id = primary_result->result_metadata_id;
  e.primary_cluster = primary_c;
  e.query = query;
  e.prepared_query = rewrite ? rewrite->text : query;
  if (!keyspace_.empty()) {
    e.keyspace = keyspace_;
  }
  e.cls = cls;
  if (s.ok() && s.frame.header.op == opcode::result) {
    auto sr = protocol::decode_result(s.frame.body, version_);
    if (sr && std::holds_alternative<protocol::prepared_result>(*sr)) {
      e.secondary_id = std::get<protocol::prepared_result>(*sr).id;
      e.secondary_result_metadata_id = std::get<protocol::prepared_result>(*sr).result_metadata_id;
    }
  }
  if (!rewrite) {
    ctx_->prepared.put(std::move(e));
    reply(f.header, p.frame);
    co_return;
  }
  const std::size_t markers_in_text =
      info->positional_markers + info->named_markers.size() + rewrite->markers.size();
  if (!hide_added_markers(primary_result->metadata, rewrite->markers, markers_in_text)) {
    // Not the metadata the rewrite expects: the client must not see extra markers, so the
    // statement is refused rather than answered with a shape the client did not write.
    spdlog::warn("client {}: cannot hide the markers added for {}: {}", peer_,
                 rewrite->markers.size() == 1 ? "a function call" : "function calls", query);
    reply_error(f.header, static_cast<std::int32_t>(protocol::error_code::invalid),
                "tandem proxy: the statement's bind markers could not be matched after "
                "replacing its now()/uuid() calls; bind the value from the client instead");
    co_return;
  }
  e.added_markers = rewrite->markers;
  bump(ctx_->stats.replaced_functions, rewrite->markers.size());
  ctx_->prepared.put(std::move(e));
  protocol::result_message m = std::move(*primary_result);
  reply(f.header, protocol::owned_frame{{version_, true, 0, f.header.stream, opcode::result, 0},
                                        protocol::encode_result(m, version_)});
}

// The body of an EXECUTE for cluster c: its own prepared id (and v5 result metadata id).
protocol::result<protocol::bytes> client_session::execute_body_for(
    cluster c, const prepared_entry& e, protocol::bytes_view prefix,
    protocol::bytes_view message) const {
  const auto& id = e.id_for(c);
  if (id.empty()) {
    return protocol::errc::bad_value;
  }
  auto client_id = protocol::execute_id(message);
  if (client_id && std::equal(client_id->begin(), client_id->end(), id.begin(), id.end()) &&
      c == e.primary_cluster) {
    return protocol::join(prefix, message);
  }
  std::optional<protocol::bytes_view> rmid;
  if (version_ == protocol::protocol_version::v5) {
    rmid = protocol::bytes_view(e.result_metadata_id_for(c));
  }
  TANDEM_TRY(auto edited, protocol::with_prepared_id(version_, message, id, rmid));
  return protocol::join(prefix, edited);
}

// The values of the markers that stand for now(), uuid(), ... (prepared_rewrite.hpp), one
// per call, the same for both clusters: an EXECUTE message with them in place.
std::vector<literal_inputs> client_session::literal_inputs_for(std::size_t n,
                                                               std::optional<std::int64_t> ts) {
  std::vector<literal_inputs> inputs(n);
  const std::int64_t micros = ts.value_or(client::write_clock::system_now_us());
  for (auto& in : inputs) {
    in.micros_since_epoch = micros;
    in.random = ctx_->random_bits();
  }
  return inputs;
}

protocol::result<protocol::bytes> client_session::with_added_values(
    protocol::bytes_view message, const prepared_entry& e, std::optional<std::int64_t> ts) {
  TANDEM_TRY(auto execute, protocol::decode_execute(message, version_));
  auto& params = execute.params;
  TANDEM_TRY_VOID(insert_added_values(params.values, params.names_for_values ? &params.names : nullptr,
                                      e.added_markers, literal_inputs_for(e.added_markers.size(), ts)));
  return protocol::encode_execute(execute, version_);
}

namespace {
// An EXECUTE on its way to the clusters, shared by the copies of its body builder.
struct execute_parts {
  protocol::bytes prefix;   // the body before the message (tracing, custom payload, ...)
  protocol::bytes message;  // the EXECUTE message, with the proxy's edits
  prepared_id_map::entry_ptr entry;  // nullptr: evicted while re-preparing
  prepared_id_map::entry_ptr found;  // as handle_execute found it: its id finds it again
  std::array<bool, 2> built{};  // per cluster: a body was built (the next one is a retry)
};
}  // namespace

asio::awaitable<void> client_session::handle_execute(protocol::owned_frame f) {
  auto offset = protocol::message_offset(f.header, f.body);
  auto id = offset ? protocol::execute_id(protocol::bytes_view(f.body).subspan(*offset))
                   : protocol::result<protocol::bytes_view>(offset.error());
  if (!id) {
    protocol_violation(f.header, "Invalid EXECUTE message: " + id.error().message());
    co_return;
  }
  auto entry = ctx_->prepared.find(*id);
  if (!entry) {
    // Unknown to the proxy (evicted, or prepared before a restart): the driver re-prepares.
    bump(ctx_->stats.prepared_cache_misses);
    protocol::wire_writer w;
    w.write_int(unprepared_code);
    w.write_string("Prepared statement unknown to the tandem proxy; prepare it again");
    w.write_short_bytes(*id);
    reply(f.header, protocol::owned_frame{{version_, true, 0, f.header.stream, opcode::error, 0},
                                          w.take()});
    co_return;
  }
  // The client's message is read in place; it is copied once, into `parts` below, unless an
  // edit (the timestamp, added values) has already produced a new one.
  const protocol::bytes_view client_message = protocol::bytes_view(f.body).subspan(*offset);
  std::optional<protocol::bytes> edited;
  const auto dest = route(entry->cls, ctx_->routing());
  if (dest == destination::proxy_answers) {
    auto e = protocol::decode_execute(client_message, version_);
    answer_topology(f.header, entry->query, e ? e->params.values : std::vector<protocol::value>{});
    co_return;
  }
  std::optional<std::int64_t> sent_timestamp;
  if (dest == destination::both) {
    const auto client_ts =
        protocol::read_default_timestamp(opcode::execute, version_, client_message);
    const bool pin = should_pin_timestamp(entry->cls, client_ts && client_ts->has_value(), false);
    const std::int64_t ts = pin ? write_timestamp(true) : 0;
    if (pin) {
      auto stamped =
          protocol::with_default_timestamp(opcode::execute, version_, client_message, ts);
      if (stamped) {
        edited = std::move(*stamped);
      }
    }
    sent_timestamp = timestamp_sent(pin, ts, client_ts);
    if (is_data_write(entry->cls)) {
      note_mirrored_write(sent_timestamp);
    }
    bump(is_data_write(entry->cls) ? ctx_->stats.requests_write : ctx_->stats.requests_ddl);
  } else {
    bump(ctx_->stats.requests_read);
  }
  if (!entry->added_markers.empty()) {
    const protocol::bytes_view message = edited ? protocol::bytes_view(*edited) : client_message;
    auto with_values = with_added_values(message, *entry, sent_timestamp);
    if (!with_values) {
      protocol_violation(f.header, "Invalid EXECUTE message: " + with_values.error().message());
      co_return;
    }
    edited = std::move(*with_values);
  }
  auto self = shared_from_this();
  auto parts = std::make_shared<execute_parts>();
  parts->prefix.assign(f.body.begin(), f.body.begin() + static_cast<std::ptrdiff_t>(*offset));
  parts->message = edited ? std::move(*edited)
                          : protocol::bytes(client_message.begin(), client_message.end());
  parts->entry = entry;
  parts->found = entry;
  // The first body for each cluster uses the entry found above; a later one (a retry after
  // UNPREPARED re-prepared the statement, which replaces the entry) looks it up again.
  body_builder build = [self, parts](cluster c) -> protocol::result<protocol::bytes> {
    auto& built = parts->built[static_cast<std::size_t>(c)];
    prepared_id_map::entry_ptr current =
        built ? self->ctx_->prepared.find(parts->found->primary_id) : parts->entry;
    built = true;
    if (!current) {
      return protocol::errc::bad_value;  // evicted meanwhile
    }
    return self->execute_body_for(c, *current, parts->prefix, parts->message);
  };
  if (entry->id_for(other_cluster(entry->primary_cluster)).empty() && dest == destination::both) {
    co_await reprepare(other_cluster(entry->primary_cluster), entry);
    parts->entry = ctx_->prepared.find(entry->primary_id);  // with the id just prepared
  }
  if (dest == destination::both) {
    write_description what{sent_timestamp, entry, {}};
    co_await mirror(f.header, build, !is_data_write(entry->cls), std::move(what));
    co_return;
  }
  const cluster c = read_cluster(f.header, f.body);
  const bool continued = c != ctx_->routing().primary || has_paging_state(f.header, f.body);
  if (entry->id_for(c).empty()) {
    co_await reprepare(c, entry);  // prepared on one cluster only (it was down then)
    parts->entry = ctx_->prepared.find(entry->primary_id);  // with the id just prepared
  }
  auto r = co_await call_on(c, opcode::execute, f.header.flags, build);
  remember_paging(c, r);
  r.ok() ? reply(f.header, r.frame) : reply_call_failure(f.header, r);
  if (entry->cls == request_class::read && !continued && r.ok()) {
    maybe_shadow(f.header, build, r, entry->query);
  }
}

asio::awaitable<void> client_session::handle_batch(protocol::owned_frame f) {
  auto offset = protocol::message_offset(f.header, f.body);
  auto batch = offset ? protocol::decode_batch(protocol::bytes_view(f.body).subspan(*offset), version_)
                      : protocol::result<protocol::batch_message>(offset.error());
  if (!batch) {
    protocol_violation(f.header, "Invalid BATCH message: " + batch.error().message());
    co_return;
  }
  std::vector<request_class> classes;
  bool text_timestamp = false;
  std::string what = "BATCH";
  std::vector<std::pair<std::size_t, prepared_id_map::entry_ptr>> rewritten_children;
  std::vector<std::pair<std::size_t, std::vector<protocol::cql::function_call>>> text_calls;
  for (const auto& child : batch->children) {
    if (child.kind == protocol::batch_child_kind::query) {
      auto info = protocol::cql::classify(child.query);
      classes.push_back(info ? classify_statement(*info, keyspace_) : request_class::other);
      text_timestamp = text_timestamp || (info && info->uses_timestamp);
      what += " " + child.query.substr(0, 80) + ";";
      if (info && !info->calls.empty()) {
        text_calls.emplace_back(static_cast<std::size_t>(&child - batch->children.data()),
                                info->calls);
      }
      continue;
    }
    auto entry = ctx_->prepared.find(child.id);
    if (!entry) {
      bump(ctx_->stats.prepared_cache_misses);
      protocol::wire_writer w;
      w.write_int(unprepared_code);
      w.write_string("Prepared statement unknown to the tandem proxy; prepare it again");
      w.write_short_bytes(child.id);
      reply(f.header, protocol::owned_frame{{version_, true, 0, f.header.stream, opcode::error, 0},
                                            w.take()});
      co_return;
    }
    classes.push_back(entry->cls);
    what += " " + entry->query.substr(0, 80) + ";";
    if (!entry->added_markers.empty()) {
      rewritten_children.emplace_back(static_cast<std::size_t>(&child - batch->children.data()),
                                      entry);
    }
  }
  const request_class cls = classify_batch(batch->type, classes);
  const protocol::bytes prefix(f.body.begin(), f.body.begin() + static_cast<std::ptrdiff_t>(*offset));
  protocol::bytes message(f.body.begin() + static_cast<std::ptrdiff_t>(*offset), f.body.end());
  std::optional<std::int64_t> sent_timestamp = batch->default_timestamp;
  const bool pin = should_pin_timestamp(cls, batch->default_timestamp.has_value(), text_timestamp);
  if (pin) {
    sent_timestamp = write_timestamp(true);
  }
  if (!rewritten_children.empty() || !text_calls.empty()) {
    // now(), uuid(), ... get one value for both clusters: a literal in a text child, the value
    // of the marker the proxy added in a prepared child. The batch is encoded again; the
    // timestamp is stamped on the result below.
    for (const auto& [index, calls] : text_calls) {
      auto& child = batch->children[index];
      const auto inputs = literal_inputs_for(calls.size(), sent_timestamp);
      std::vector<std::string> literals;
      for (std::size_t i = 0; i < calls.size(); ++i) {
        literals.push_back(literal_for(calls[i].function, inputs[i]));
      }
      std::vector<std::string_view> views(literals.begin(), literals.end());
      child.query = protocol::cql::replace_calls(child.query, calls, views);
      bump(ctx_->stats.replaced_functions, calls.size());
    }
    for (const auto& [index, entry] : rewritten_children) {
      auto& child = batch->children[index];
      auto inserted = insert_added_values(child.values, nullptr, entry->added_markers,
                                          literal_inputs_for(entry->added_markers.size(),
                                                             sent_timestamp));
      if (!inserted) {
        protocol_violation(f.header, "Invalid BATCH message: too few values for a statement");
        co_return;
      }
    }
    message = protocol::encode_batch(*batch, version_);
  }
  if (pin) {
    auto stamped = protocol::with_default_timestamp(opcode::batch, version_, message,
                                                    *sent_timestamp);
    if (stamped) {
      message = std::move(*stamped);
    }
  }
  note_mirrored_write(sent_timestamp);
  bump(ctx_->stats.requests_write);
  auto self = shared_from_this();
  auto shared_message = std::make_shared<protocol::bytes>(std::move(message));
  auto shared_prefix = std::make_shared<protocol::bytes>(prefix);
  body_builder build = [self, shared_message,
                        shared_prefix](cluster c) -> protocol::result<protocol::bytes> {
    TANDEM_TRY(auto edited,
               protocol::with_batch_prepared_ids(
                   self->version_, *shared_message,
                   [&](protocol::bytes_view old_id) -> std::optional<protocol::bytes> {
                     auto e = self->ctx_->prepared.find(old_id);
                     if (!e || e->id_for(c).empty()) {
                       return std::nullopt;
                     }
                     return e->id_for(c);
                   }));
    return protocol::join(*shared_prefix, edited);
  };
  write_description described{sent_timestamp, nullptr, std::move(what)};
  // `described` and `build` are named locals (no temporaries in a co_await with GCC 12).
  co_await mirror(f.header, build, false, std::move(described));
}

}  // namespace tandem::proxy
