// EXECUTE from a client (spec v4 §4.1.6): the prepared ids translated per cluster, literal
// values added for the now()/uuid() markers the proxy hid, the timestamp pinned, the answer
// chosen by the acknowledgement mode.
#include "proxy/client_session.hpp"
#include "proxy/execute_parts.hpp"
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

// `loc`: the message's parameter locations when handle_execute scanned them (a write), so the
// id swap does not scan the message again; nullptr otherwise.
protocol::result<protocol::bytes> client_session::execute_body_for(
    cluster c, const prepared_entry& e, protocol::bytes_view prefix,
    protocol::bytes_view message, const protocol::parameter_locations* loc) const {
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
  if (loc != nullptr) {
    return protocol::with_prepared_id(version_, message, *loc, id, rmid, prefix);
  }
  return protocol::with_prepared_id(version_, message, id, rmid, prefix);
}

// The values of the markers that stand for now(), uuid(), ... (prepared_rewrite.hpp), one
// per call, the same for both clusters: an EXECUTE message with them in place.
std::vector<literal_inputs> client_session::literal_inputs_for(std::size_t n,
                                                               std::optional<std::int64_t> ts) {
  std::vector<literal_inputs> inputs(n);
  // Not value_or: its argument is evaluated, reading the clock, even when ts holds a value.
  const std::int64_t micros = ts ? *ts : client::write_clock::system_now_us();
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

// The message's edits for the clusters. The body moves into the plan's parts (execute_parts
// computes its views on each use, so moving the parts again is safe).
std::optional<client_session::execute_plan> client_session::plan_execute(
    protocol::owned_frame& f, std::size_t offset, const prepared_id_map::entry_ptr& entry,
    destination dest, std::int64_t* read_wall_us) {
  // The client's message is read in place and its body moved, not copied, into the parts;
  // an edit (the timestamp, added values) makes a new message.
  execute_parts parts;
  parts.offset = offset;
  const protocol::bytes_view client_message = protocol::bytes_view(f.body).subspan(offset);
  std::optional<std::int64_t> sent_timestamp;
  if (dest == destination::both) {
    // One scan of the parameters serves the timestamp read, its edit, the prepared-id swap and
    // the routing key (values lie before the timestamp, so its insertion moves none of them).
    auto loc = protocol::locate_parameters(opcode::execute, version_, client_message);
    const auto client_ts = loc ? protocol::read_default_timestamp(client_message, *loc)
                               : protocol::result<std::optional<std::int64_t>>(loc.error());
    const bool pin = should_pin_timestamp(entry->cls, client_ts && client_ts->has_value(), false);
    const std::int64_t ts = pin ? write_timestamp(true, read_wall_us) : 0;
    if (pin && loc) {
      parts.edit(protocol::with_default_timestamp(version_, client_message, *loc, ts));
    }
    if (loc) {
      parts.loc = *loc;
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
    auto with_values = with_added_values(parts.is_edited ? parts.message() : client_message, *entry,
                                         sent_timestamp);
    if (!with_values) {
      protocol_violation(f.header, "Invalid EXECUTE message: " + with_values.error().message());
      return std::nullopt;
    }
    parts.edit(std::move(*with_values));
    parts.loc.reset();  // values added: the scan above no longer describes the message
  }
  parts.body = std::move(f.body);
  parts.found = entry;
  // Token-aware routing: from the message as the clusters get it (its added values included,
  // which the pk_indexes count).
  std::optional<token_route> route =
      token_route_for(entry, parts.message(), parts.loc ? &*parts.loc : nullptr);
  return execute_plan{std::move(parts), sent_timestamp, std::move(route)};
}

// The first body for each cluster uses the entry handle_execute found; a later one (a retry
// after UNPREPARED re-prepared the statement, which replaces the entry) looks it up again, as
// does one for a cluster the statement was prepared on since (its id was empty).
protocol::result<protocol::bytes> client_session::execute_body(cluster c, execute_parts& parts) {
  auto& built = parts.built[static_cast<std::size_t>(c)];
  const prepared_entry* current = parts.found.get();
  prepared_id_map::entry_ptr again;  // held while the body is built
  if (built || current->id_for(c).empty()) {
    again = ctx_->prepared.find(parts.found->primary_id);
    current = again.get();
  }
  built = true;
  if (current == nullptr) {
    return protocol::errc::bad_value;  // evicted meanwhile
  }
  return execute_body_for(c, *current, parts.prefix(), parts.message(),
                          parts.loc ? &*parts.loc : nullptr);
}

// A builder that owns the parts (one heap block: the coroutine paths, whose builders are
// passed around by value). The session by address, not by reference count: a builder is only
// ever called by the session's own member functions (a call, a retry, a journal record),
// which run while the session lives.
client_session::body_builder client_session::builder_owning(execute_parts parts) {
  return [self = this, parts = std::move(parts)](cluster c) mutable {
    return self->execute_body(c, parts);
  };
}

// A builder over parts kept elsewhere (a session pointer and the parts' address: small and
// trivially copyable, so std::function keeps it inline, without a heap block). The parts must
// outlive every copy of it.
client_session::body_builder client_session::builder_over(execute_parts& parts) {
  return [self = this, p = &parts](cluster c) { return self->execute_body(c, *p); };
}

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
  const auto dest = route(entry->cls, ctx_->routing());
  if (dest == destination::proxy_answers) {
    auto e = protocol::decode_execute(protocol::bytes_view(f.body).subspan(*offset), version_);
    // Named, not temporaries in the co_await expression (GCC 12 destroys those twice).
    protocol::query_parameters params = e ? std::move(e->params) : protocol::query_parameters{};
    co_await answer_topology(f.header, entry->query, std::move(params));
    co_return;
  }
  // Where a read goes, from the body before it moves into the builder.
  cluster c = cluster::source;
  bool continued = false;
  if (dest != destination::both) {
    c = read_cluster(f.header, f.body);
    continued = c != ctx_->routing().primary || has_paging_state(f.header, f.body);
  }
  auto plan = plan_execute(f, *offset, entry, dest);
  if (!plan) {
    co_return;
  }
  body_builder build = builder_owning(std::move(plan->parts));
  // Prepared on one cluster only (the other was down then): prepared there now, first. A
  // source_authoritative write does it in its secondary leg instead (mirror), so that its
  // client does not wait for a cluster that may still be down.
  const bool leg_prepares = !waits_for_both(entry->cls) && ctx_->write_ack() != ack_mode::strict;
  if (entry->id_for(other_cluster(entry->primary_cluster)).empty() && dest == destination::both &&
      !leg_prepares) {
    // The builder then finds the entry with the id just prepared (its id_for check).
    co_await reprepare(other_cluster(entry->primary_cluster), entry);
  }
  if (dest == destination::both) {
    write_description what{plan->sent_timestamp, entry, {}, entry->cls, {}, plan->route};
    co_await mirror(f.header, std::move(build), waits_for_both(entry->cls), std::move(what));
    co_return;
  }
  if (entry->id_for(c).empty()) {
    co_await reprepare(c, entry);  // prepared on one cluster only (it was down then)
  }
  const token_route* replica = plan->route ? &*plan->route : nullptr;
  auto r = co_await call_on(c, opcode::execute, f.header.flags, build,
                            on_unprepared::answer_client, replica);
  remember_paging(c, r);
  r.ok() ? reply(f.header, r.frame) : reply_call_failure(f.header, r);
  if (entry->cls == request_class::read && !continued && r.ok()) {
    maybe_shadow(f.header, build, r, entry->query);
  }
}

// The read loop's first try at an EXECUTE: with both clusters connected and the statement
// prepared on both, a read (read_now) or a mirrored data write (mirror_now, in either
// acknowledgement mode) runs on callbacks. Decided before anything is counted or edited, so a
// request it declines goes through handle() exactly as before.
bool client_session::execute_now(protocol::owned_frame& f,
                                 std::chrono::steady_clock::time_point begin,
                                 std::int64_t& read_wall_us) {
  auto offset = protocol::message_offset(f.header, f.body);
  if (!offset) {
    return false;
  }
  auto id = protocol::execute_id(protocol::bytes_view(f.body).subspan(*offset));
  if (!id) {
    return false;
  }
  auto entry = prepared_cache_.find(ctx_->prepared, *id);
  if (!entry) {
    return false;
  }
  for (const cluster c : {cluster::source, cluster::target}) {
    const auto& conn = connection(c);
    if (!conn || !conn->is_open() || entry->id_for(c).empty()) {
      return false;
    }
  }
  const auto dest = route(entry->cls, ctx_->routing());
  if (dest == destination::primary_only) {
    return read_now(f, *offset, entry, begin);
  }
  if (dest != destination::both || waits_for_both(entry->cls)) {
    return false;  // a schema change, an LWT: mirror()'s coroutine
  }
  auto plan = plan_execute(f, *offset, entry, destination::both, &read_wall_us);
  if (!plan) {
    request_done(begin);  // the client got its protocol error
    return true;
  }
  write_description what{plan->sent_timestamp, entry, {}, entry->cls, {}, std::move(plan->route)};
  mirror_now(f.header, std::move(plan->parts), std::move(what), begin);
  return true;
}


}  // namespace tandem::proxy
