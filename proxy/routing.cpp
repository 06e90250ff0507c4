#include "proxy/routing.hpp"

#include "protocol/messages/error_message.hpp"

namespace tandem::proxy {

namespace cql = protocol::cql;

const char* cluster_name(cluster c) noexcept {
  return c == cluster::source ? "source" : "target";
}

const char* request_class_name(request_class c) noexcept {
  switch (c) {
    case request_class::read: return "read";
    case request_class::write: return "write";
    case request_class::conditional_write: return "conditional_write";
    case request_class::counter_write: return "counter_write";
    case request_class::ddl: return "ddl";
    case request_class::use: return "use";
    case request_class::truncate: return "truncate";
    case request_class::auth_change: return "auth_change";
    case request_class::topology_read: return "topology_read";
    case request_class::system_read: return "system_read";
    case request_class::register_: return "register";
    case request_class::options: return "options";
    case request_class::prepare: return "prepare";
    case request_class::startup: return "startup";
    case request_class::auth_response: return "auth_response";
    case request_class::other: return "other";
  }
  return "other";
}

const char* destination_name(destination d) noexcept {
  switch (d) {
    case destination::primary_only: return "primary_only";
    case destination::both: return "both";
    case destination::proxy_answers: return "proxy_answers";
  }
  return "primary_only";
}

namespace {

request_class classify_select(const cql::statement_info& info, std::string_view session_keyspace) {
  const std::string_view ks = info.keyspace.empty() ? session_keyspace : info.keyspace;
  if (ks == "system" &&
      (info.table == "local" || info.table == "peers" || info.table == "peers_v2")) {
    return request_class::topology_read;
  }
  // system, system_schema, system_auth, system_distributed, system_traces, system_views,
  // system_virtual_schema: node-local or cluster metadata, read from the primary.
  if (ks.starts_with("system")) {
    return request_class::system_read;
  }
  return request_class::read;
}

request_class classify_mutation(const cql::statement_info& info) {
  if (info.conditional) {
    return request_class::conditional_write;
  }
  if (info.counter_update || info.list_append ||
      (info.kind == cql::statement_kind::batch && info.batch_kind == cql::batch_type::counter)) {
    return request_class::counter_write;
  }
  return request_class::write;
}

}  // namespace

request_class classify_statement(const cql::statement_info& info,
                                 std::string_view session_keyspace) {
  switch (info.kind) {
    case cql::statement_kind::select: return classify_select(info, session_keyspace);
    case cql::statement_kind::insert:
    case cql::statement_kind::update:
    case cql::statement_kind::delete_:
    case cql::statement_kind::batch: return classify_mutation(info);
    case cql::statement_kind::ddl: return request_class::ddl;
    case cql::statement_kind::truncate: return request_class::truncate;
    case cql::statement_kind::use: return request_class::use;
    case cql::statement_kind::other:
      return info.modifies_auth ? request_class::auth_change : request_class::other;
  }
  return request_class::other;
}

request_class classify_opcode(protocol::opcode op) noexcept {
  switch (op) {
    case protocol::opcode::startup: return request_class::startup;
    case protocol::opcode::auth_response: return request_class::auth_response;
    case protocol::opcode::options: return request_class::options;
    case protocol::opcode::register_: return request_class::register_;
    case protocol::opcode::prepare: return request_class::prepare;
    default: return request_class::other;
  }
}

request_class classify_batch(protocol::batch_type type,
                             std::span<const request_class> children) noexcept {
  bool counter = type == protocol::batch_type::counter;
  for (request_class c : children) {
    if (c == request_class::conditional_write) {
      return request_class::conditional_write;
    }
    counter = counter || c == request_class::counter_write;
  }
  return counter ? request_class::counter_write : request_class::write;
}

request_view make_request_view(protocol::opcode op, request_class cls, bool has_client_timestamp,
                               bool uses_timestamp_in_text) noexcept {
  return request_view{op, cls, has_client_timestamp, uses_timestamp_in_text,
                      should_pin_timestamp(cls, has_client_timestamp, uses_timestamp_in_text)};
}

destination route(request_class cls, const routing_state& state) noexcept {
  switch (cls) {
    case request_class::write:
    case request_class::conditional_write:
    case request_class::counter_write:
    case request_class::ddl:
    case request_class::use:
    case request_class::truncate:
    case request_class::prepare: return destination::both;
    case request_class::auth_change:
      return state.mirror_auth_changes ? destination::both : destination::primary_only;
    case request_class::topology_read:
    case request_class::options: return destination::proxy_answers;
    case request_class::read:
    case request_class::system_read:
    case request_class::register_:
    case request_class::startup:
    case request_class::auth_response:
    case request_class::other: return destination::primary_only;
  }
  return destination::primary_only;
}

destination route_prepare(request_class statement_cls, const routing_state& state) noexcept {
  (void)state;
  return statement_cls == request_class::topology_read ? destination::proxy_answers
                                                       : destination::both;
}

bool should_pin_timestamp(request_class cls, bool has_client_timestamp,
                          bool uses_timestamp_in_text) noexcept {
  return cls == request_class::write && !has_client_timestamp && !uses_timestamp_in_text;
}

bool is_failure(const cluster_answer& a, bool is_secondary) noexcept {
  if (a.ok) {
    return false;
  }
  if (is_secondary && !a.timed_out && a.op == protocol::opcode::error &&
      a.error_code == static_cast<std::int32_t>(protocol::error_code::already_exists)) {
    return false;
  }
  return true;
}

merge_decision merge(const cluster_answer& primary, const std::optional<cluster_answer>& secondary,
                     ack_mode mode, cluster primary_cluster) noexcept {
  merge_decision d;
  d.failed_cluster = other_cluster(primary_cluster);
  if (!secondary) {
    return d;
  }
  const auto refused = [](const cluster_answer& a) { return !a.ok && !a.timed_out; };
  const bool secondary_failed = is_failure(*secondary, true);
  if (refused(primary) && refused(*secondary)) {
    d.rejected_code = primary.error_code;
  }
  d.count_target_failure = secondary_failed && !refused(primary);
  if (mode == ack_mode::source_authoritative) {
    d.log_target_failure = d.count_target_failure;
    return d;
  }
  // strict: an error on either side reaches the client; the primary's when both fail.
  if (secondary_failed && !is_failure(primary, false)) {
    d.answer_from = merged_choice::secondary;
  }
  return d;
}

}  // namespace tandem::proxy
