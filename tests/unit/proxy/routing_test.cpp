// The routing decisions, as tables: statement text -> request class -> destination, the
// timestamp decision, and every combination of the two answers merge() can be given.
#include "proxy/routing.hpp"

#include "protocol/messages/error_message.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tandem::proxy {
namespace {

using rc = request_class;
using dst = destination;

request_class class_of(std::string_view text, std::string_view session_keyspace = {}) {
  auto info = protocol::cql::classify(text);
  EXPECT_TRUE(info.has_value()) << text;
  return info ? classify_statement(*info, session_keyspace) : rc::other;
}

struct statement_row {
  std::string_view text;
  std::string_view session_keyspace;
  request_class cls;
  destination dest;  // with the default routing state
};

const std::vector<statement_row> statement_rows{
    {"SELECT * FROM ks.t WHERE k = 1", "", rc::read, dst::primary_only},
    {"SELECT * FROM t", "ks", rc::read, dst::primary_only},
    {"SELECT * FROM system.local WHERE key = 'local'", "", rc::topology_read, dst::proxy_answers},
    {"SELECT peer, rpc_address FROM system.peers", "", rc::topology_read, dst::proxy_answers},
    {"SELECT * FROM system.peers_v2", "", rc::topology_read, dst::proxy_answers},
    {"SELECT * FROM SYSTEM.LOCAL", "", rc::topology_read, dst::proxy_answers},
    {"SELECT * FROM local", "system", rc::topology_read, dst::proxy_answers},
    {"SELECT * FROM local", "ks", rc::read, dst::primary_only},
    {"SELECT * FROM system.size_estimates", "", rc::system_read, dst::primary_only},
    {"SELECT * FROM system_schema.tables", "", rc::system_read, dst::primary_only},
    {"SELECT * FROM system_views.clients", "", rc::system_read, dst::primary_only},
    {"SELECT * FROM tables", "system_schema", rc::system_read, dst::primary_only},
    {"INSERT INTO ks.t (k, v) VALUES (1, 2)", "", rc::write, dst::both},
    {"UPDATE ks.t SET v = 2 WHERE k = 1", "", rc::write, dst::both},
    {"DELETE FROM ks.t WHERE k = 1", "", rc::write, dst::both},
    {"INSERT INTO ks.t (k, v) VALUES (1, 2) IF NOT EXISTS", "", rc::conditional_write, dst::both},
    {"UPDATE ks.t SET v = 2 WHERE k = 1 IF v = 1", "", rc::conditional_write, dst::both},
    {"DELETE FROM ks.t WHERE k = 1 IF EXISTS", "", rc::conditional_write, dst::both},
    {"UPDATE ks.c SET n = n + 1 WHERE k = 1", "", rc::counter_write, dst::both},
    {"UPDATE ks.t SET l = l + [1] WHERE k = 1", "", rc::counter_write, dst::both},
    {"BEGIN BATCH INSERT INTO t (k) VALUES (1); UPDATE t SET v = 1 WHERE k = 2; APPLY BATCH", "",
     rc::write, dst::both},
    {"BEGIN BATCH INSERT INTO t (k) VALUES (1) IF NOT EXISTS; APPLY BATCH", "",
     rc::conditional_write, dst::both},
    {"BEGIN COUNTER BATCH UPDATE c SET n = n + 1 WHERE k = 1; APPLY BATCH", "", rc::counter_write,
     dst::both},
    {"CREATE TABLE ks.t (k int PRIMARY KEY)", "", rc::ddl, dst::both},
    {"DROP KEYSPACE ks", "", rc::ddl, dst::both},
    {"USE ks", "", rc::use, dst::both},
    {"TRUNCATE ks.t", "", rc::truncate, dst::both},
    {"GRANT SELECT ON KEYSPACE ks TO app", "", rc::auth_change, dst::both},
    {"CREATE ROLE app WITH PASSWORD = 'x' AND LOGIN = true", "", rc::auth_change, dst::both},
    {"LIST ROLES", "", rc::other, dst::primary_only},
};

TEST(RoutingTable, ClassifiesAndRoutesEveryStatementKind) {
  for (const auto& row : statement_rows) {
    const request_class cls = class_of(row.text, row.session_keyspace);
    EXPECT_EQ(cls, row.cls) << row.text << " got " << request_class_name(cls);
    EXPECT_EQ(route(cls, routing_state{}), row.dest) << row.text;
  }
}

TEST(RoutingTable, RoutesEveryClass) {
  const routing_state state;
  const std::vector<std::pair<request_class, destination>> table{
      {rc::read, dst::primary_only},         {rc::write, dst::both},
      {rc::conditional_write, dst::both},    {rc::counter_write, dst::both},
      {rc::ddl, dst::both},                  {rc::use, dst::both},
      {rc::truncate, dst::both},             {rc::auth_change, dst::both},
      {rc::topology_read, dst::proxy_answers}, {rc::system_read, dst::primary_only},
      {rc::register_, dst::primary_only},    {rc::options, dst::proxy_answers},
      {rc::prepare, dst::both},              {rc::startup, dst::primary_only},
      {rc::auth_response, dst::primary_only}, {rc::other, dst::primary_only},
  };
  for (const auto& [cls, want] : table) {
    EXPECT_EQ(route(cls, state), want) << request_class_name(cls);
  }
}

TEST(RoutingTable, OnlyPlainWritesAndCounterUpdatesAnswerBeforeTheSecondary) {
  const std::vector<std::pair<request_class, bool>> table{
      {rc::write, false},          {rc::counter_write, false}, {rc::conditional_write, true},
      {rc::ddl, true},             {rc::use, true},            {rc::truncate, true},
      {rc::auth_change, true},     {rc::prepare, true},
  };
  for (const auto& [cls, want] : table) {
    EXPECT_EQ(waits_for_both(cls), want) << request_class_name(cls);
  }
}

TEST(RoutingTable, RoutingDoesNotDependOnWhichClusterIsPrimary) {
  // The destination is relative to the primary: a flip changes where primary_only goes, not
  // the decision.
  for (auto cls : {rc::read, rc::write, rc::topology_read, rc::ddl}) {
    EXPECT_EQ(route(cls, routing_state{cluster::source, true}),
              route(cls, routing_state{cluster::target, true}));
  }
}

TEST(RoutingTable, AuthChangesGoToThePrimaryOnlyWhenMirroringThemIsOff) {
  EXPECT_EQ(route(rc::auth_change, routing_state{cluster::source, false}), dst::primary_only);
  EXPECT_EQ(route(rc::write, routing_state{cluster::source, false}), dst::both);
}

TEST(RoutingTable, PreparesTopologyReadsInTheProxyAndEverythingElseOnBoth) {
  const routing_state state;
  EXPECT_EQ(route_prepare(rc::topology_read, state), dst::proxy_answers);
  for (auto cls : {rc::read, rc::system_read, rc::write, rc::conditional_write, rc::other}) {
    EXPECT_EQ(route_prepare(cls, state), dst::both) << request_class_name(cls);
  }
}

TEST(RoutingTable, ClassifiesRequestsWithoutText) {
  using protocol::opcode;
  EXPECT_EQ(classify_opcode(opcode::startup), rc::startup);
  EXPECT_EQ(classify_opcode(opcode::auth_response), rc::auth_response);
  EXPECT_EQ(classify_opcode(opcode::options), rc::options);
  EXPECT_EQ(classify_opcode(opcode::register_), rc::register_);
  EXPECT_EQ(classify_opcode(opcode::prepare), rc::prepare);
  EXPECT_EQ(classify_opcode(opcode::query), rc::other);
  EXPECT_EQ(classify_opcode(opcode::execute), rc::other);
}

TEST(RoutingTable, ClassifiesBatchMessagesFromTheirChildren) {
  using protocol::batch_type;
  struct batch_row {
    batch_type type;
    std::vector<request_class> children;
    request_class want;
  };
  const std::vector<batch_row> table{
      {batch_type::logged, {rc::write, rc::write}, rc::write},
      {batch_type::unlogged, {rc::write}, rc::write},
      {batch_type::logged, {}, rc::write},
      {batch_type::logged, {rc::write, rc::conditional_write}, rc::conditional_write},
      {batch_type::counter, {rc::write}, rc::counter_write},
      {batch_type::unlogged, {rc::counter_write, rc::write}, rc::counter_write},
      {batch_type::counter, {rc::conditional_write}, rc::conditional_write},
  };
  for (const auto& row : table) {
    EXPECT_EQ(classify_batch(row.type, row.children), row.want)
        << static_cast<int>(row.type) << " with " << row.children.size() << " children";
  }
}

TEST(WriteTimestamp, PinsOnlyPlainWritesWithoutAClientTimestamp) {
  struct ts_row {
    request_class cls;
    bool client_ts;
    bool text_ts;
    bool want;
  };
  const std::vector<ts_row> table{
      {rc::write, false, false, true},
      {rc::write, true, false, false},
      {rc::write, false, true, false},
      {rc::write, true, true, false},
      {rc::conditional_write, false, false, false},
      {rc::counter_write, false, false, false},
      {rc::ddl, false, false, false},
      {rc::use, false, false, false},
      {rc::truncate, false, false, false},
      {rc::read, false, false, false},
      {rc::auth_change, false, false, false},
  };
  for (const auto& row : table) {
    EXPECT_EQ(should_pin_timestamp(row.cls, row.client_ts, row.text_ts), row.want)
        << request_class_name(row.cls) << " client_ts=" << row.client_ts
        << " text_ts=" << row.text_ts;
  }
}

TEST(WriteTimestamp, RequestViewCarriesTheTimestampDecision) {
  const auto v = make_request_view(protocol::opcode::query, rc::write, false, false);
  EXPECT_TRUE(v.needs_timestamp);
  EXPECT_FALSE(make_request_view(protocol::opcode::batch, rc::write, true, false).needs_timestamp);
  EXPECT_EQ(route(v, routing_state{}), dst::both);
}

// ---- merge ----

const cluster_answer ok = cluster_answer::success();
const cluster_answer err = cluster_answer::error(0x1100);  // Write_timeout from the server
const cluster_answer lost = cluster_answer::timeout();
const cluster_answer invalid = cluster_answer::error(0x2200);
const cluster_answer exists =
    cluster_answer::error(static_cast<std::int32_t>(protocol::error_code::already_exists));

struct merge_row {
  const char* name;
  cluster_answer primary;
  std::optional<cluster_answer> secondary;
  ack_mode mode;
  merged_choice answer_from;
  bool count;
  bool log;
  std::optional<std::int32_t> rejected = std::nullopt;  // both refused: the primary's code
};

const std::vector<merge_row> merge_rows{
    // source_authoritative: the primary's answer whatever happens; secondary failures of a
    // request the primary may have applied are counted and logged.
    {"sa ok/ok", ok, ok, ack_mode::source_authoritative, merged_choice::primary, false, false},
    {"sa ok/err", ok, err, ack_mode::source_authoritative, merged_choice::primary, true, true},
    {"sa ok/timeout", ok, lost, ack_mode::source_authoritative, merged_choice::primary, true,
     true},
    {"sa err/ok", err, ok, ack_mode::source_authoritative, merged_choice::primary, false, false},
    // The source refused it: the target refusing it too is agreement (issue 13).
    {"sa err/err", err, err, ack_mode::source_authoritative, merged_choice::primary, false, false,
     0x1100},
    {"sa invalid/err", invalid, err, ack_mode::source_authoritative, merged_choice::primary,
     false, false, 0x2200},
    {"sa err/timeout", err, lost, ack_mode::source_authoritative, merged_choice::primary, false,
     false},
    // No answer from the source: it may have applied the write, so the target's failure counts.
    {"sa timeout/err", lost, err, ack_mode::source_authoritative, merged_choice::primary, true,
     true},
    {"sa timeout/timeout", lost, lost, ack_mode::source_authoritative, merged_choice::primary,
     true, true},
    {"sa ok/none", ok, std::nullopt, ack_mode::source_authoritative, merged_choice::primary,
     false, false},
    {"sa err/none", err, std::nullopt, ack_mode::source_authoritative, merged_choice::primary,
     false, false},
    {"sa ok/already-exists", ok, exists, ack_mode::source_authoritative, merged_choice::primary,
     false, false},
    {"sa already-exists/already-exists", exists, exists, ack_mode::source_authoritative,
     merged_choice::primary, false, false, 0x2400},
    // strict: an error on either side is returned; the primary's when both fail. Counted, not
    // logged (the client sees it).
    {"strict ok/ok", ok, ok, ack_mode::strict, merged_choice::primary, false, false},
    {"strict ok/err", ok, err, ack_mode::strict, merged_choice::secondary, true, false},
    {"strict ok/timeout", ok, lost, ack_mode::strict, merged_choice::secondary, true, false},
    {"strict err/ok", err, ok, ack_mode::strict, merged_choice::primary, false, false},
    {"strict timeout/ok", lost, ok, ack_mode::strict, merged_choice::primary, false, false},
    {"strict err/err", err, err, ack_mode::strict, merged_choice::primary, false, false, 0x1100},
    {"strict err/timeout", err, lost, ack_mode::strict, merged_choice::primary, false, false},
    {"strict timeout/err", lost, err, ack_mode::strict, merged_choice::primary, true, false},
    {"strict ok/none", ok, std::nullopt, ack_mode::strict, merged_choice::primary, false, false},
    {"strict err/none", err, std::nullopt, ack_mode::strict, merged_choice::primary, false, false},
    {"strict ok/already-exists", ok, exists, ack_mode::strict, merged_choice::primary, false,
     false},
    {"strict already-exists/ok", exists, ok, ack_mode::strict, merged_choice::primary, false,
     false},
};

TEST(MergeAnswers, PicksTheClientAnswerForEveryCombination) {
  for (cluster primary : {cluster::source, cluster::target}) {
    for (const auto& row : merge_rows) {
      const merge_decision d = merge(row.primary, row.secondary, row.mode, primary);
      EXPECT_EQ(d.answer_from, row.answer_from) << row.name;
      EXPECT_EQ(d.count_target_failure, row.count) << row.name;
      EXPECT_EQ(d.log_target_failure, row.log) << row.name;
      EXPECT_EQ(d.failed_cluster, other_cluster(primary)) << row.name;
      EXPECT_EQ(d.rejected_code, row.rejected) << row.name;
    }
  }
}

TEST(MergeAnswers, AlreadyExistsIsAFailureOnlyOnThePrimary) {
  EXPECT_TRUE(is_failure(exists, false));
  EXPECT_FALSE(is_failure(exists, true));
  EXPECT_TRUE(is_failure(err, true));
  EXPECT_TRUE(is_failure(lost, true));
  EXPECT_FALSE(is_failure(ok, false));
}

}  // namespace
}  // namespace tandem::proxy
