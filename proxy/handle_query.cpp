// QUERY and PREPARE from a client (spec v4 §4.1.4, §4.1.5): routing (routing.hpp decides),
// the one write timestamp on both clusters, literal values for now()/uuid(), and PREPARE on
// both clusters with the ids kept per cluster.
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
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <spdlog/spdlog.h>

#include <array>

namespace tandem::proxy {

using protocol::opcode;
using namespace asio::experimental::awaitable_operators;

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
    // Named, not temporaries in the co_await expression (GCC 12 destroys those twice).
    protocol::query_parameters params = q ? std::move(q->params) : protocol::query_parameters{};
    std::string query(*text);
    co_await answer_topology(f.header, std::move(query), std::move(params));
    co_return;
  }
  if (dest != destination::both) {
    bump(cls == request_class::read ? ctx_->stats.local().requests_read : ctx_->stats.local().requests_other);
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
    bump(ctx_->stats.local().replaced_functions, info->calls.size());
  }
  if (pin) {
    auto stamped = protocol::with_default_timestamp(opcode::query, version_, message, ts);
    if (stamped) {
      message = std::move(*stamped);
    }
  }
  bump(is_data_write(cls) ? ctx_->stats.local().requests_write : ctx_->stats.local().requests_ddl);
  auto body = std::make_shared<protocol::bytes>(protocol::join(prefix, message));
  const bool wait_for_both = waits_for_both(cls);
  body_builder same = [body](cluster) -> protocol::result<protocol::bytes> { return *body; };
  const auto sent = timestamp_sent(pin, ts, client_ts);
  if (is_data_write(cls)) {
    note_mirrored_write(sent);
  }
  write_description what{sent, nullptr, std::string(*text), cls, {}, {}};
  co_await mirror(f.header, std::move(same), wait_for_both, std::move(what));
  if (cls == request_class::use && info) {
    keyspace_ = info->keyspace;
  }
}

asio::awaitable<void> client_session::handle_prepare(protocol::owned_frame f) {
  bump(ctx_->stats.local().requests_prepare);
  auto offset = protocol::message_offset(f.header, f.body);
  auto text = offset ? protocol::statement_text(protocol::bytes_view(f.body).subspan(*offset))
                     : protocol::result<std::string_view>(offset.error());
  if (!text) {
    protocol_violation(f.header, "Invalid PREPARE message: " + text.error().message());
    co_return;
  }
  auto info = protocol::cql::classify(*text);
  const request_class cls = info ? classify_statement(*info, keyspace_) : request_class::other;
  // gocql prepares its control queries: the proxy prepares them itself. A SELECT of
  // system.local the proxy cannot evaluate is prepared on the clusters instead (their answer
  // has the right metadata) and its EXECUTE is forwarded by answer_topology.
  auto q = route_prepare(cls, ctx_->routing()) == destination::proxy_answers
               ? std::optional(parse_system_select(*text, keyspace_))
               : std::nullopt;
  if (q && (*q || !reads_system_local(*text, keyspace_))) {
    auto pr = *q ? prepare_select(ctx_->topology, **q, *text, keyspace_, version_)
                 : query_result<protocol::prepared_result>(q->error());
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
    auto pr = protocol::decode_result(protocol::response_message(p.frame.header, p.frame.body), version_);
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
  e.pk_indexes = primary_result->metadata.pk_indexes;  // before the added markers are hidden
  if (!primary_result->metadata.columns.empty()) {
    e.table_keyspace = primary_result->metadata.columns.front().keyspace;
  }
  if (s.ok() && s.frame.header.op == opcode::result) {
    auto sr = protocol::decode_result(protocol::response_message(s.frame.header, s.frame.body), version_);
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
  bump(ctx_->stats.local().replaced_functions, rewrite->markers.size());
  ctx_->prepared.put(std::move(e));
  protocol::result_message m = std::move(*primary_result);
  reply(f.header, protocol::owned_frame{{version_, true, 0, f.header.stream, opcode::result, 0},
                                        protocol::encode_result(m, version_)});
}

// The body of an EXECUTE for cluster c: its own prepared id (and v5 result metadata id).

}  // namespace tandem::proxy
