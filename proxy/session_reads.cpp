// Where a client session's reads go and what comes back: the topology answers for the system
// tables, the cluster a read is routed to (paging stays on the cluster that served the first
// page), shadow reads, and REGISTER.
#include "proxy/client_session.hpp"
#include "proxy/request_helpers.hpp"

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
#include <spdlog/spdlog.h>

#include <array>

namespace tandem::proxy {

using protocol::opcode;

// A SELECT of system.local, system.peers or system.peers_v2 (DESIGN.md "Topology"): answered
// with the proxy instances. Two cases go to the primary as well (issue 13):
//  - a traced request (spec v4 §2.2 flag 0x02): the same query runs traced on the primary and
//    its tracing session id comes with the proxy's answer, so the driver's trace is real;
//  - a SELECT of system.local the proxy cannot evaluate (function calls, JSON, DISTINCT, ...):
//    Cassandra evaluates it on the primary, and the columns the proxy answers for itself
//    (addresses, host id, tokens, ...) are put back in the rows (with_instance_values). Less
//    code than evaluating CQL's functions here, and the answer is Cassandra's own.
asio::awaitable<void> client_session::answer_topology(const protocol::frame_header& request,
                                                      std::string text,
                                                      protocol::query_parameters params) {
  bump(ctx_->stats.local().requests_topology);
  auto q = parse_system_select(text, keyspace_);
  if (!q && reads_system_local(text, keyspace_)) {
    co_await forward_system_local(request, std::move(text), std::move(params));
    co_return;
  }
  std::vector<std::optional<protocol::bytes>> bound;
  for (const auto& v : params.values) {
    bound.push_back(v.state == protocol::value::kind::set ? std::optional(v.data) : std::nullopt);
  }
  auto rows = q ? answer_select(ctx_->topology, *q, bound)
                : query_result<protocol::rows_result>(q.error());
  if (!rows) {
    reply_error(request, static_cast<std::int32_t>(protocol::error_code::invalid), rows.error());
    co_return;
  }
  protocol::result_message m = std::move(*rows);
  protocol::bytes body = protocol::encode_result(m, version_);
  std::uint8_t flags = 0;
  if ((request.flags & protocol::frame_flags::tracing) != 0) {
    // Spec v4 §2.2: a traced response's body starts with the tracing session's [uuid].
    body_builder traced_query = query_to_primary(text, params, false);
    auto traced = co_await call_on(ctx_->routing().primary, opcode::query,
                                   protocol::frame_flags::tracing, traced_query);
    const auto& h = traced.frame.header;
    if (traced.ok() && h.op == opcode::result && (h.flags & protocol::frame_flags::tracing) != 0 &&
        traced.frame.body.size() >= 16) {
      protocol::bytes id(traced.frame.body.begin(), traced.frame.body.begin() + 16);
      body = protocol::join(id, body);
      flags = protocol::frame_flags::tracing;
    }
  }
  reply(request, protocol::owned_frame{{version_, true, flags, request.stream, opcode::result, 0},
                                       std::move(body)});
}

// A QUERY of `text` with the client's parameters, for the primary. With metadata always (the
// proxy reads the column names of the answer), whatever the client asked for.
client_session::body_builder client_session::query_to_primary(const std::string& text,
                                                              protocol::query_parameters params,
                                                              bool keep_paging) const {
  protocol::query_message m;
  m.query = text;
  m.params = std::move(params);
  m.params.skip_metadata = false;
  if (!keep_paging) {
    m.params.paging_state.reset();
  }
  auto body = std::make_shared<protocol::bytes>(protocol::encode_query(m, version_));
  return [body](cluster) -> protocol::result<protocol::bytes> { return *body; };
}

asio::awaitable<void> client_session::forward_system_local(const protocol::frame_header& request,
                                                           std::string text,
                                                           protocol::query_parameters params) {
  const bool skip_metadata = params.skip_metadata;
  body_builder query = query_to_primary(text, std::move(params), true);
  const std::uint8_t flags = request.flags & protocol::frame_flags::tracing;
  auto r = co_await call_on(ctx_->routing().primary, opcode::query, flags, query);
  if (!r.ok()) {
    reply_call_failure(request, r);
    co_return;
  }
  auto offset = protocol::response_message_offset(r.frame.header, r.frame.body);
  auto decoded = offset && r.frame.header.op == opcode::result
                     ? protocol::decode_result(protocol::bytes_view(r.frame.body).subspan(*offset), version_)
                     : protocol::result<protocol::result_message>(protocol::errc::bad_value);
  if (!decoded || !std::holds_alternative<protocol::rows_result>(*decoded)) {
    reply(request, r.frame);  // an error, or not rows: as Cassandra said it
    co_return;
  }
  auto rows = with_instance_values(ctx_->topology, std::get<protocol::rows_result>(std::move(*decoded)));
  if (skip_metadata) {
    rows.metadata.flags |= protocol::metadata_flags::no_metadata;
    rows.metadata.columns.clear();
  }
  protocol::result_message m = std::move(rows);
  const protocol::bytes_view prefix = protocol::bytes_view(r.frame.body).first(*offset);
  reply(request, protocol::owned_frame{{version_, true, r.frame.header.flags, request.stream,
                                        opcode::result, 0},
                                       protocol::join(prefix, protocol::encode_result(m, version_))});
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
    bump(ctx_->stats.local().paged_reads_kept);
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
void client_session::maybe_shadow(const protocol::frame_header& request, const body_builder& build,
                                  const client::call_result& primary_answer,
                                  const std::string& what) {
  if (shadow_drawn()) {
    shadow_read(request, build, primary_answer, what);
  }
}

bool client_session::shadow_drawn() {
  const double sample = ctx_->shadow_sample.load(std::memory_order_relaxed);
  return sample > 0.0 && ctx_->random_unit() < sample;
}

void client_session::shadow_read(const protocol::frame_header& request, const body_builder& build,
                                 const client::call_result& primary_answer,
                                 const std::string& what) {
  const cluster secondary = other_cluster(ctx_->routing().primary);
  auto self = shared_from_this();
  auto primary_frame = std::make_shared<protocol::owned_frame>(primary_answer.frame);
  asio::co_spawn(
      stream_.get_executor(),
      [self, secondary, request, build, primary_frame, what]() -> asio::awaitable<void> {
        auto r = co_await self->call_on(secondary, request.op, request.flags, build,
                                        on_unprepared::prepare_again);
        bump(self->ctx_->stats.local().shadow_reads);
        if (!r.ok()) {
          bump(self->ctx_->stats.local().shadow_read_failures);
          co_return;
        }
        const auto verdict = compare_rows(*primary_frame, r.frame, self->version_);
        if (!verdict.comparable) {
          bump(self->ctx_->stats.local().shadow_read_failures);
          co_return;
        }
        if (verdict.mismatch) {
          bump(self->ctx_->stats.local().shadow_read_mismatches);
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
  // Events come from the primary only (DESIGN.md); forwarded with stream -1. The body is kept
  // so that a connection opened again on another node registers again (session_failover.cpp).
  register_body_ = f.body;
  listen_for_events(ctx_->routing().primary);
  co_await forward_to_primary(std::move(f));
}

void client_session::listen_for_events(cluster c) {
  auto conn = connection(c);
  if (conn) {
    std::weak_ptr<client_session> weak = shared_from_this();
    conn->on_event([weak](protocol::owned_frame event) {
      if (auto self = weak.lock()) {
        protocol::frame_header h{self->version_, false, 0, -1, opcode::event, 0};
        self->reply(h, event);
      }
    });
  }
}

// The timestamp of one mirrored write: the proxy's clock when pinned, else the time now (for
// literals replacing now() in statements that carry their own timestamp).

}  // namespace tandem::proxy
