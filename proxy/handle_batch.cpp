// BATCH from a client (spec v4 §4.1.7): each child's prepared id translated per cluster,
// literals for now()/uuid() in its children, one timestamp for the whole batch on both.
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
  std::vector<prepared_id_map::entry_ptr> prepared_children;  // in message order
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
    auto entry = prepared_cache_.find(ctx_->prepared, child.id);
    if (!entry) {
      bump(ctx_->stats.local().prepared_cache_misses);
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
    prepared_children.push_back(entry);
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
      bump(ctx_->stats.local().replaced_functions, calls.size());
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
  bump(ctx_->stats.local().requests_write);
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
  write_description described{sent_timestamp, nullptr, std::move(what), cls,
                              std::move(prepared_children), {}};
  // `described` and `build` are named locals (no temporaries in a co_await with GCC 12).
  const bool wait_for_both = waits_for_both(cls);
  co_await mirror(f.header, std::move(build), wait_for_both, std::move(described));
}


}  // namespace tandem::proxy
