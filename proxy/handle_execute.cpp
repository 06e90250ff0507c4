// EXECUTE from a client (spec v4 §4.1.6): the prepared ids translated per cluster, literal
// values added for the now()/uuid() markers the proxy hid, the timestamp pinned, the answer
// chosen by the acknowledgement mode.
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
  return protocol::with_prepared_id(version_, message, id, rmid, prefix);
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
  auto entry = prepared_cache_.find(ctx_->prepared, *id);
  if (!entry) {
    // Unknown to the proxy (evicted, or prepared before a restart): the driver re-prepares.
    bump(ctx_->stats.local().prepared_cache_misses);
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
    // Named, not temporaries in the co_await expression (GCC 12 destroys those twice).
    protocol::query_parameters params = e ? std::move(e->params) : protocol::query_parameters{};
    co_await answer_topology(f.header, entry->query, std::move(params));
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
    bump(is_data_write(entry->cls) ? ctx_->stats.local().requests_write : ctx_->stats.local().requests_ddl);
  } else {
    bump(ctx_->stats.local().requests_read);
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
  // Token-aware routing: from the message as the clusters get it (its added values included,
  // which the pk_indexes count).
  const std::optional<token_route> route = token_route_for(entry, parts->message);
  // The first body for each cluster uses the entry found above; a later one (a retry after
  // UNPREPARED re-prepared the statement, which replaces the entry) looks it up again.
  body_builder build = [self, parts](cluster c) -> protocol::result<protocol::bytes> {
    auto& built = parts->built[static_cast<std::size_t>(c)];
    prepared_id_map::entry_ptr current =
        built ? self->ctx_->prepared.find(parts->found->primary_id) : parts->entry;
    if (current && current->id_for(c).empty()) {
      current = self->ctx_->prepared.find(parts->found->primary_id);  // prepared there since
    }
    built = true;
    if (!current) {
      return protocol::errc::bad_value;  // evicted meanwhile
    }
    return self->execute_body_for(c, *current, parts->prefix, parts->message);
  };
  // Prepared on one cluster only (the other was down then): prepared there now, first. A
  // source_authoritative write does it in its secondary leg instead (mirror), so that its
  // client does not wait for a cluster that may still be down.
  const bool leg_prepares = !waits_for_both(entry->cls) && ctx_->write_ack() != ack_mode::strict;
  if (entry->id_for(other_cluster(entry->primary_cluster)).empty() && dest == destination::both &&
      !leg_prepares) {
    co_await reprepare(other_cluster(entry->primary_cluster), entry);
    parts->entry = ctx_->prepared.find(entry->primary_id);  // with the id just prepared
  }
  if (dest == destination::both) {
    write_description what{sent_timestamp, entry, {}, entry->cls, {}, route};
    co_await mirror(f.header, std::move(build), waits_for_both(entry->cls), std::move(what));
    co_return;
  }
  const cluster c = read_cluster(f.header, f.body);
  const bool continued = c != ctx_->routing().primary || has_paging_state(f.header, f.body);
  if (entry->id_for(c).empty()) {
    co_await reprepare(c, entry);  // prepared on one cluster only (it was down then)
    parts->entry = ctx_->prepared.find(entry->primary_id);  // with the id just prepared
  }
  const token_route* replica = route ? &*route : nullptr;
  auto r = co_await call_on(c, opcode::execute, f.header.flags, build, on_unprepared::answer_client,
                            replica);
  remember_paging(c, r);
  r.ok() ? reply(f.header, r.frame) : reply_call_failure(f.header, r);
  if (entry->cls == request_class::read && !continued && r.ok()) {
    maybe_shadow(f.header, build, r, entry->query);
  }
}


}  // namespace tandem::proxy
