// A client session's calls to the clusters after READY: one call with its timeout and the
// transparent re-preparation on UNPREPARED, the one mirror path every write takes (QUERY,
// EXECUTE and BATCH share it), the write timestamp pinned on both copies, and what a failed
// mirrored write is counted and logged as.
#include "proxy/client_session.hpp"
#include "proxy/mirror_legs.hpp"
#include "proxy/request_helpers.hpp"

#include "protocol/messages/batch.hpp"
#include "protocol/messages/error_message.hpp"
#include "protocol/messages/execute.hpp"
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
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <array>

namespace tandem::proxy {

using protocol::opcode;
using namespace asio::experimental::awaitable_operators;

namespace {

// The id an UNPREPARED error names (spec v4 §9, code 0x2500: [short bytes] id).
std::optional<protocol::bytes> unprepared_id(const client::call_result& r) {
  if (!r.ok() || r.frame.header.op != opcode::error || error_code_of(r.frame) != unprepared_code) {
    return std::nullopt;
  }
  protocol::wire_reader rd(protocol::response_message(r.frame.header, r.frame.body));
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


}  // namespace

std::string write_description::to_string() const {
  return describe_write(timestamp, prepared ? std::string_view(prepared->query) : text);
}

const std::shared_ptr<client::cluster_connection>& client_session::connection(cluster c) const {
  return c == cluster::source ? source_ : target_;
}

void client_session::note_secondary_failure(cluster c, const client::call_result& r,
                                            const write_description& what, bool journaled) {
  bump(c == cluster::target ? ctx_->stats.local().target_write_failures : ctx_->stats.local().source_failures);
  if (journaled) {
    bump(ctx_->stats.local().journaled_failures);  // replayed from the journal: not lost, no gate record
  } else if (c == cluster::target) {
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


// What one request to a cluster is counted as in the metrics: its latency (measured by the
// connection), its opcode and how it failed. Not a coroutine of its own: a frame per call would
// be a heap block per request (issue 17).
void client_session::count_call(cluster c, opcode op, const client::call_result& r) {
  const auto ci = static_cast<std::size_t>(c);
  ctx_->cluster_latency[ci].observe(r.latency);
  const auto oi = static_cast<std::size_t>(op);
  ctx_->cluster_requests.count(ci, oi);
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
}

asio::awaitable<client::call_result> client_session::call_on(cluster c, opcode op, std::uint8_t flags,
                                                     const body_builder& build, on_unprepared how,
                                                     const token_route* route) {
  auto conn = connection(c);
  if (!conn || !conn->is_open()) {
    // Two plain co_await statements: GCC 12 destroys the awaitable of a conditional expression
    // inside co_await twice (a heap-use-after-free in coroutine_handle::destroy under ASan).
    bool reopened = false;
    if (c == cluster::target) {
      reopened = co_await reconnect_target();
    } else {
      reopened = co_await reconnect_source();
    }
    if (reopened) {
      conn = connection(c);
    }
  }
  if (!conn || !conn->is_open()) {
    co_return client::call_result{client::call_failure::disconnected,
                          std::string(cluster_name(c)) + " connection is not open", {}};
  }
  auto body = build(c);
  if (!body) {
    co_return client::call_result{client::call_failure::protocol, "cannot rewrite the request: " + body.error().message(), {}};
  }
  std::shared_ptr<client::cluster_connection> replica;
  if (route != nullptr) {
    auto choice = choose_replica(c, *route);
    if (choice.to_open) {
      replica = co_await replica_connection(c, *route, std::move(choice));
    } else {
      replica = std::move(choice.conn);
    }
  }
  auto& chosen = replica ? *replica : *conn;
  auto r = co_await chosen.call(op, std::move(*body), flags);
  count_call(c, op, r);
  if (!is_unprepared(answer_of(r))) {
    co_return r;
  }
  co_return co_await after_unprepared(c, op, flags, build, how, route, std::move(replica),
                                      std::move(r));
}

asio::awaitable<client::call_result> client_session::after_unprepared(
    cluster c, opcode op, std::uint8_t flags, const body_builder& build, on_unprepared how,
    const token_route* route, std::shared_ptr<client::cluster_connection> replica,
    client::call_result r) {
  if (replica && unprepared_id(r) && route != nullptr && route->entry) {
    // A node the client's session never prepared on: prepared there now (same text, same id:
    // Cassandra's ids are a digest of the text and keyspace), then the request once more.
    auto prepared = co_await prepare_on(*replica, *route->entry);
    if (prepared.ok() && prepared.frame.header.op == opcode::result) {
      bump(ctx_->stats.local().reprepared);
      if (auto again = build(c)) {
        r = co_await replica->call(op, std::move(*again), flags);
        count_call(c, op, r);
      }
    }
  }
  if (!unprepared_id(r)) {
    co_return r;
  }
  if (how == on_unprepared::prepare_again) {
    co_return co_await prepare_again_and_retry(c, op, flags, build, std::move(r));
  }
  co_return with_client_visible_id(std::move(r));
}

// UNPREPARED on a copy the client never sees (the secondary's, a shadow read): the node forgot
// the statement (restart, cache eviction, a schema change). Prepare it again from the text we
// kept and retry once, without the client noticing.
asio::awaitable<client::call_result> client_session::prepare_again_and_retry(
    cluster c, opcode op, std::uint8_t flags, const body_builder& build, client::call_result r) {
  auto id = unprepared_id(r);
  auto conn = connection(c);
  if (!id || !conn) {
    co_return r;
  }
  auto entry = ctx_->prepared.find(*id);
  if (!entry) {
    entry = ctx_->prepared.find_by_secondary(*id);
  }
  if (entry && co_await reprepare(c, entry)) {
    bump(ctx_->stats.local().reprepared);
    auto again = build(c);
    if (again) {
      r = co_await conn->call(op, std::move(*again), flags);
      count_call(c, op, r);
    }
  }
  co_return r;
}

// UNPREPARED on the answer the client gets is passed on, as Cassandra would make the driver see
// it (issue 13): the driver prepares again and so learns the statement's new result metadata
// (spec v4 §4.2.5.4; v5 §4.2.5.4 result_metadata_id) after an ALTER TABLE. The id in it is the
// one the client knows the statement by: after a flip the cluster names its own id.
client::call_result client_session::with_client_visible_id(client::call_result r) const {
  auto id = unprepared_id(r);
  if (!id) {
    return r;
  }
  auto entry = ctx_->prepared.find(*id);
  if (!entry) {
    entry = ctx_->prepared.find_by_secondary(*id);
  }
  if (!entry || entry->primary_id == *id) {
    return r;
  }
  // The prefix (tracing id, warnings) stays: the header's flags announce it.
  const protocol::bytes_view message_part = protocol::response_message(r.frame.header, r.frame.body);
  const std::size_t prefix = r.frame.body.size() - message_part.size();
  protocol::wire_reader rd(message_part);
  (void)rd.read_int();
  auto message = rd.read_string();
  protocol::wire_writer w;
  w.write_int(unprepared_code);
  w.write_string(message ? *message : std::string_view("Prepared statement not found"));
  w.write_short_bytes(entry->primary_id);
  protocol::bytes body(r.frame.body.begin(), r.frame.body.begin() + static_cast<std::ptrdiff_t>(prefix));
  const auto rewritten = w.take();
  body.insert(body.end(), rewritten.begin(), rewritten.end());
  r.frame.body = std::move(body);
  return r;
}

asio::awaitable<bool> client_session::reprepare(cluster c, prepared_id_map::entry_ptr entry) {
  auto conn = connection(c);
  if (!conn || !conn->is_open()) {
    co_return false;
  }
  auto r = co_await prepare_on(*conn, *entry);
  if (!r.ok() || r.frame.header.op != opcode::result) {
    co_return false;
  }
  auto decoded = protocol::decode_result(protocol::response_message(r.frame.header, r.frame.body), version_);
  if (!decoded || !std::holds_alternative<protocol::prepared_result>(*decoded)) {
    co_return false;
  }
  const auto& pr = std::get<protocol::prepared_result>(*decoded);
  if (c != entry->primary_cluster) {
    ctx_->prepared.update_secondary(entry->primary_id, pr.id, pr.result_metadata_id);
  }
  co_return true;
}


void client_session::judge_mirrored(const cluster_answer& primary, const client::call_result& secondary,
                                    cluster primary_c, ack_mode mode,
                                    const write_description& what, bool journaled) {
  const auto d = merge(primary, answer_of(secondary), mode, primary_c);
  if (d.count_target_failure) {
    note_secondary_failure(d.failed_cluster, secondary, what, journaled);
  }
  if (d.rejected_code) {
    ctx_->mirrored_rejected.count_code(primary_c, *d.rejected_code);
  }
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
    ctx_->requests_in_flight.add(1);
    auto legs = std::make_shared<mirror_legs>();
    legs->request = request;
    legs->build = std::move(build);  // both legs use this one (call_on takes it by reference)
    legs->what = std::move(what);
    legs->primary_c = primary_c;
    legs->secondary_c = secondary_c;
    legs->mode = mode;
    asio::co_spawn(
        stream_.get_executor(),
        [self, legs, secondary_c, request]() -> asio::awaitable<void> {
          const body_builder& build = legs->build;
          const auto& prepared = legs->what.prepared;
          if (prepared && prepared->id_for(secondary_c).empty()) {
            co_await self->reprepare(secondary_c, prepared);  // it was down at PREPARE time
          }
          const token_route* route = legs->what.route ? &*legs->what.route : nullptr;
          auto r = co_await self->call_on(secondary_c, request.op, request.flags, build,
                                          on_unprepared::answer_client, route);
          if (unprepared_id(r)) {
            r = co_await self->secondary_unprepared(legs, std::move(r));
          }
          self->secondary_leg_done(legs, std::move(r));
        },
        asio::detached);
    const token_route* route = legs->what.route ? &*legs->what.route : nullptr;
    auto r = co_await call_on(primary_c, request.op, request.flags, legs->build,
                              on_unprepared::answer_client, route);
    primary_leg_done(legs, std::move(r));
    co_return;
  }
  const token_route* route = what.route ? &*what.route : nullptr;
  auto on_primary = call_on(primary_c, request.op, request.flags, build,
                            on_unprepared::answer_client, route);
  auto on_secondary = call_on(secondary_c, request.op, request.flags, build,
                              on_unprepared::answer_client, route);
  auto [p, s] = co_await (std::move(on_primary) && std::move(on_secondary));
  if (unprepared_id(s) && !is_unprepared(answer_of(p))) {
    s = co_await prepare_again_and_retry(secondary_c, request.op, request.flags, build, std::move(s));
  }
  const auto d = merge(answer_of(p), answer_of(s), mode, primary_c);
  if (d.count_target_failure) {
    note_secondary_failure(d.failed_cluster, d.failed_cluster == primary_c ? p : s, what);
  }
  if (d.rejected_code) {
    ctx_->mirrored_rejected.count_code(primary_c, *d.rejected_code);
  }
  const client::call_result& chosen = d.answer_from == merged_choice::primary ? p : s;
  if (is_schema_change(p, version_) || is_schema_change(s, version_)) {
    co_await await_schema_agreement_on_both();
  }
  chosen.ok() ? reply(request, chosen.frame) : reply_call_failure(request, chosen);
}

// The secondary answered UNPREPARED: it waits for the primary's answer first, and prepares
// again and retries only if the primary did not answer UNPREPARED too (the client will then
// prepare and send the request again, which must not be applied twice on the secondary).
asio::awaitable<client::call_result> client_session::secondary_unprepared(
    std::shared_ptr<mirror_legs> legs, client::call_result r) {
  if (!legs->primary) {
    legs->primary_known = std::make_unique<asio::steady_timer>(
        stream_.get_executor(), asio::steady_timer::time_point::max());
    boost::system::error_code ec;
    co_await legs->primary_known->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (!legs->primary || !is_unprepared(*legs->primary)) {
    r = co_await prepare_again_and_retry(legs->secondary_c, legs->request.op, legs->request.flags,
                                         legs->build, std::move(r));
  }
  co_return r;
}

// The primary's answer of a source_authoritative mirrored request: the client is answered now
// or once the journal allows (settle); whichever leg ends second judges the pair.
void client_session::primary_leg_done(const std::shared_ptr<mirror_legs>& legs,
                                      client::call_result r) {
  if (legs->mode == ack_mode::strict) {
    strict_leg_done(legs, true, std::move(r));
    return;
  }
  const auto latency = r.latency;
  legs->primary = answer_of(r);
  legs->primary_result = std::move(r);
  primary_answered(legs, legs->secondary_c);
  if (legs->primary_known) {
    legs->primary_known->cancel();
  } else if (legs->secondary) {
    judge_mirrored(*legs->primary, *legs->secondary, legs->primary_c, legs->mode, legs->what,
                   legs->journal_seq.has_value());
  }
  if (legs->begin) {
    // A call sent by call_then counted its latency from begin, up to the read that brought
    // the answer: no clock read here. Any other way, the clock says.
    request_done(*legs->begin, legs->sent_at_begin[0] ? *legs->begin + latency
                                                      : std::chrono::steady_clock::now());
  }
  if (legs->secondary) {
    legs->session.reset();  // both legs over: the journal's callbacks hold the session weakly
  }
}

void client_session::secondary_leg_done(const std::shared_ptr<mirror_legs>& legs,
                                        client::call_result r) {
  if (legs->mode == ack_mode::strict) {
    strict_leg_done(legs, false, std::move(r));
    return;
  }
  legs->secondary = std::move(r);
  secondary_answered(legs);
  if (legs->primary) {
    judge_mirrored(*legs->primary, *legs->secondary, legs->primary_c, legs->mode, legs->what,
                   legs->journal_seq.has_value());
  }
  --in_flight_;
  ctx_->requests_in_flight.sub(1);
  slot_freed_.notify_all();
  if (legs->primary) {
    legs->session.reset();  // both legs over: the journal's callbacks hold the session weakly
  }
}

void client_session::request_done(std::chrono::steady_clock::time_point begin) {
  request_done(begin, std::chrono::steady_clock::now());
}

void client_session::request_done(std::chrono::steady_clock::time_point begin,
                                  std::chrono::steady_clock::time_point end) {
  ctx_->client_latency.observe(end - begin);
  --in_flight_;
  ctx_->requests_in_flight.sub(1);
  slot_freed_.notify_all();
}

// system.local / system.peers / system.peers_v2: the proxy answers with its own instances, so
// drivers keep talking to the proxies (DESIGN.md "Topology").

// The clock is read when the request is handled; for the writes that execute_now takes, once
// per read of the client's socket (they arrived together, microseconds apart). write_clock
// keeps every timestamp above the previous one either way.
std::int64_t client_session::write_timestamp(bool pin, std::int64_t* read_wall_us) {
  if (read_wall_us != nullptr && *read_wall_us == 0) {
    *read_wall_us = client::write_clock::system_now_us();
  }
  const std::int64_t now =
      read_wall_us != nullptr ? *read_wall_us : client::write_clock::system_now_us();
  if (!pin) {
    return now;
  }
  bump(ctx_->stats.local().injected_timestamps);
  return ctx_->clock.next(now);
}

// T0 must not be later than any mirrored data write (the backfill writes under it), so it
// follows the smallest timestamp sent, the client's own ones included.
void client_session::note_mirrored_write(std::optional<std::int64_t> sent) {
  // Not value_or, which would read the clock for every write (its argument is evaluated).
  const std::int64_t ts = sent ? *sent : client::write_clock::system_now_us();
  std::int64_t current = ctx_->t0.load(std::memory_order_relaxed);
  while ((current == 0 || ts < current) &&
         !ctx_->t0.compare_exchange_weak(current, ts, std::memory_order_relaxed)) {
  }
}


}  // namespace tandem::proxy
