// The proxy's routing decisions as pure functions (STYLE.md rule 5): what kind of request a
// frame is, which cluster(s) it goes to, whether it gets the proxy's write timestamp, and which
// of the two answers the client sees. No I/O, no state: the session feeds in facts and acts on
// the decision. Every function here is tested as a table (tests/unit/proxy/routing_test.cpp).
#pragma once

#include "protocol/cql/classifier.hpp"
#include "protocol/frame.hpp"
#include "protocol/messages/batch.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace tandem::proxy {

enum class cluster : std::uint8_t { source, target };

constexpr cluster other_cluster(cluster c) noexcept {
  return c == cluster::source ? cluster::target : cluster::source;
}
const char* cluster_name(cluster c) noexcept;  // "source" / "target"

// The run-time routing state every session reads (DESIGN.md: the primary is switched through
// the admin API without a restart).
struct routing_state {
  // Where reads go and whose answer the client sees: the source until cutover.
  cluster primary = cluster::source;
  // GRANT/REVOKE and CREATE/ALTER/DROP ROLE/USER are mirrored by default, so that an
  // application's role set-up survives cutover. A managed target often has its own users and
  // refuses them: with false they go to the primary only (classifier.hpp leaves it to us).
  bool mirror_auth_changes = true;

  friend bool operator==(const routing_state&, const routing_state&) = default;
};

enum class request_class : std::uint8_t {
  read,               // SELECT of a user table
  write,              // INSERT / UPDATE / DELETE / BATCH without IF and without counters
  conditional_write,  // a lightweight transaction (IF ...), or a batch that holds one
  counter_write,      // a counter update, a COUNTER batch or a list append: not idempotent
  ddl,                // CREATE / ALTER / DROP of schema objects
  use,                // USE ks
  truncate,           // TRUNCATE
  auth_change,        // GRANT / REVOKE / CREATE|ALTER|DROP ROLE|USER, ADD|DROP IDENTITY
  topology_read,      // SELECT of system.local, system.peers, system.peers_v2
  system_read,        // any other SELECT of a keyspace whose name starts with "system"
  register_,          // REGISTER (events)
  options,            // OPTIONS
  prepare,            // PREPARE (of any statement)
  startup,            // STARTUP
  auth_response,      // AUTH_RESPONSE
  other,              // anything else: LIST ROLES, DESCRIBE, unknown statements
};

const char* request_class_name(request_class c) noexcept;

// True for write, conditional_write and counter_write: the data mutations.
constexpr bool is_data_write(request_class c) noexcept {
  return c == request_class::write || c == request_class::conditional_write ||
         c == request_class::counter_write;
}

// True when the client's answer to a mirrored request waits for both clusters even in
// source_authoritative mode: schema changes, USE and TRUNCATE must hold on both before the next
// request, and a lightweight transaction's outcome depends on the one before it, so a second
// LWT must not reach the secondary before the first one finished there (and LWTs are never
// replayed from the journal). Plain writes and counter updates answer from the primary.
constexpr bool waits_for_both(request_class c) noexcept {
  return !is_data_write(c) || c == request_class::conditional_write;
}

// The class of one CQL statement. `session_keyspace` is the connection's USE keyspace, which
// applies when the statement does not qualify its table (statement_info::keyspace == ""): a
// driver that ran USE system and then SELECT * FROM local still gets the proxy's answer.
request_class classify_statement(const protocol::cql::statement_info& info,
                                 std::string_view session_keyspace = {});

// The class of a request that carries no CQL text of its own: STARTUP, AUTH_RESPONSE, OPTIONS,
// REGISTER, PREPARE; `other` for QUERY / EXECUTE / BATCH (those need classify_statement or
// classify_batch) and for responses.
request_class classify_opcode(protocol::opcode op) noexcept;

// The class of a BATCH message (spec v4 §4.1.7) from its type and its children's classes (from
// classify_statement for query children, from the prepared_id_map for prepared ones). A
// COUNTER batch is a counter_write; any conditional child makes it conditional (Cassandra runs
// the whole batch as one LWT); any counter child makes it a counter_write; else a write.
request_class classify_batch(protocol::batch_type type,
                             std::span<const request_class> children) noexcept;

// The facts route() and the timestamp decision need about one request.
struct request_view {
  protocol::opcode op = protocol::opcode::query;
  request_class cls = request_class::other;
  // The client set the protocol's default timestamp (flag 0x20, spec v4 §4.1.4).
  bool has_client_timestamp = false;
  // The CQL text has USING TIMESTAMP (statement_info::uses_timestamp).
  bool uses_timestamp_in_text = false;
  // The proxy must pin its own timestamp on both copies: should_pin_timestamp() of the above.
  bool needs_timestamp = false;

  friend bool operator==(const request_view&, const request_view&) = default;
};

request_view make_request_view(protocol::opcode op, request_class cls, bool has_client_timestamp,
                               bool uses_timestamp_in_text) noexcept;

enum class destination : std::uint8_t {
  primary_only,   // the primary cluster; the client gets its answer unchanged
  both,           // the primary and the secondary; merge() picks the client's answer
  proxy_answers,  // the proxy answers itself (topology, OPTIONS)
};

const char* destination_name(destination d) noexcept;

// Where a request of class `cls` goes:
//  - read, system_read, register_, other          -> primary_only (events come from the
//    primary only; LIST ROLES / DESCRIBE are reads of the primary's view)
//  - write, conditional_write, counter_write, ddl,
//    use, truncate, prepare                        -> both (USE and PREPARE set per-connection
//    state both clusters need; PREPARE must exist on both so EXECUTE works after a flip)
//  - auth_change                                   -> both, or primary_only when
//    state.mirror_auth_changes is false
//  - topology_read, options                        -> proxy_answers (OPTIONS: the proxy
//    offers only what both clusters support, DESIGN.md)
//  - startup, auth_response                        -> primary_only. The handshake code owns
//    them (it runs STARTUP and the target's own authentication itself); this value only
//    says the client's answer comes from the primary, which admits or refuses the client.
destination route(request_class cls, const routing_state& state) noexcept;
inline destination route(const request_view& v, const routing_state& state) noexcept {
  return route(v.cls, state);
}

// Where a PREPARE of a statement of class `statement_cls` goes: a topology_read is prepared by
// the proxy itself (its EXECUTE is answered by the proxy with the proxy's columns, so the
// result metadata must be the proxy's too: gocql prepares its control queries and skips
// metadata on EXECUTE); every other statement is prepared on both clusters.
destination route_prepare(request_class statement_cls, const routing_state& state) noexcept;

// True when a mirrored write must carry the proxy's timestamp as the protocol default
// timestamp on both copies (DESIGN.md, one timestamp per mirrored write): plain writes only,
// and only when the client chose no timestamp of its own, neither in the protocol
// (has_client_timestamp) nor in the text (USING TIMESTAMP; Cassandra also refuses a batch
// with both). Conditional writes and counter updates never: Cassandra rejects custom
// timestamps there ("Cannot provide custom timestamp for conditional updates" / "... for
// counter updates"). DDL, USE, TRUNCATE are not timestamped mutations.
bool should_pin_timestamp(request_class cls, bool has_client_timestamp,
                          bool uses_timestamp_in_text) noexcept;

// ---- Merging the two answers of a mirrored request ----

enum class ack_mode : std::uint8_t {
  source_authoritative,  // the client gets the primary's answer; secondary failures counted
  strict,                // the client's answer waits for both; an error on either is returned
};

// What one cluster answered, reduced to what merge() needs.
struct cluster_answer {
  bool ok = false;         // an answer arrived and it is not an ERROR frame
  bool timed_out = false;  // no answer in time, or the connection was lost before it came
  protocol::opcode op = protocol::opcode::result;
  std::int32_t error_code = 0;  // the ERROR's [int] code when op == error (error_message.hpp)

  static cluster_answer success(protocol::opcode op = protocol::opcode::result) noexcept {
    return {true, false, op, 0};
  }
  static cluster_answer error(std::int32_t code) noexcept {
    return {false, false, protocol::opcode::error, code};
  }
  static cluster_answer timeout() noexcept { return {false, true, protocol::opcode::error, 0}; }

  friend bool operator==(const cluster_answer&, const cluster_answer&) = default;
};

// True when the answer counts as a failure of that cluster for merging. An Already_exists
// (0x2400) is not one when it is the SECONDARY's: a CREATE that the target already has (made
// by `tandem schema`) leaves both clusters in the state the client asked for.
bool is_failure(const cluster_answer& a, bool is_secondary) noexcept;

enum class merged_choice : std::uint8_t { primary, secondary };

struct merge_decision {
  // Whose answer goes to the client. When the chosen answer timed_out the session makes the
  // error itself (there is no frame to forward).
  merged_choice answer_from = merged_choice::primary;
  // The secondary copy (the target until cutover: named for that case) failed or timed out:
  // bump the counter for `failed_cluster`.
  bool count_target_failure = false;
  // ... and log it with its statement and timestamp: set in source_authoritative, where the
  // client never sees that failure. In strict the client gets the error, so the counter is
  // enough and a target outage does not flood the log.
  bool log_target_failure = false;
  // The cluster whose failure is counted (the secondary): for the metric's label.
  cluster failed_cluster = cluster::target;
  // Both clusters refused the request with an ERROR (the primary's code): agreement, not a
  // divergence. Counted as tandem_mirrored_write_rejected_total{code}, never for the gate.
  std::optional<std::int32_t> rejected_code;

  friend bool operator==(const merge_decision&, const merge_decision&) = default;
};

// Picks the client's answer of a request sent to both (`secondary` is std::nullopt when the
// request was not mirrored, or in source_authoritative when the client's answer is sent before
// the secondary's arrives; call again with it to learn whether to count a failure).
//  - source_authoritative: always the primary's answer; a secondary failure is counted+logged.
//  - strict: the primary's answer if both succeed; the failed one if one fails; the primary's
//    if both fail. A secondary failure is counted (not logged).
// A secondary failure is judged by comparison (issue 13): only a request the primary may have
// applied (its answer was not an ERROR frame: a result, or no answer at all) counts when the
// secondary failed or did not answer. A request the primary refused cannot diverge the
// clusters by failing on the secondary too: that is `rejected_code`.
merge_decision merge(const cluster_answer& primary, const std::optional<cluster_answer>& secondary,
                     ack_mode mode, cluster primary_cluster) noexcept;

}  // namespace tandem::proxy
