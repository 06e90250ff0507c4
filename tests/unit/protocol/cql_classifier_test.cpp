// The CQL statement classifier: one table of statements with their expected kind, LWT flag,
// names and nondeterministic calls, then focused tests of the other facts.
#include "protocol/cql/classifier.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tandem::protocol::cql {
namespace {

using k = statement_kind;

struct row {
  std::string_view text;
  statement_kind kind;
  bool conditional;
  std::string_view keyspace;
  std::string_view table;
  std::string_view calls;  // function_name of every call, comma-separated
};

std::string call_names(const statement_info& info) {
  std::string out;
  for (const auto& c : info.calls) {
    out += out.empty() ? "" : ",";
    out += function_name(c.function);
  }
  return out;
}

const std::vector<row> rows{
    // SELECT: reads.
    {"SELECT * FROM t", k::select, false, "", "t", ""},
    {"SELECT * FROM ks.t WHERE k = 1", k::select, false, "ks", "t", ""},
    {"select a, b from KS.Tbl where k = ?", k::select, false, "ks", "tbl", ""},
    {"SeLeCt * FrOm Ks.MiXeD", k::select, false, "ks", "mixed", ""},
    {"SELECT * FROM \"MyKs\".\"MyTable\"", k::select, false, "MyKs", "MyTable", ""},
    {"SELECT * FROM ks.\"weird\"\"name\"", k::select, false, "ks", "weird\"name", ""},
    {"SELECT JSON * FROM ks.t", k::select, false, "ks", "t", ""},
    {"SELECT DISTINCT k FROM t", k::select, false, "", "t", ""},
    {"SELECT now() FROM system.local", k::select, false, "system", "local", "now"},
    {"SELECT * FROM t WHERE id < now() AND k = 1", k::select, false, "", "t", "now"},
    {"SELECT * FROM t WHERE id > maxTimeuuid('2020-01-01')", k::select, false, "", "t", ""},
    {"SELECT now FROM t", k::select, false, "", "t", ""},
    {"SELECT \"now\" FROM t", k::select, false, "", "t", ""},
    {"SELECT \"now()\" FROM t", k::select, false, "", "t", ""},
    {"  \n\t SELECT * FROM t", k::select, false, "", "t", ""},
    {"-- IF NOT EXISTS now()\nSELECT * FROM t", k::select, false, "", "t", ""},
    {"/* INSERT INTO x IF now() */ SELECT * FROM t", k::select, false, "", "t", ""},
    {"// UPDATE x SET a = now()\nSELECT * FROM t", k::select, false, "", "t", ""},
    {"SELECT 'now()' FROM t", k::select, false, "", "t", ""},
    {"SELECT $$now()$$ FROM t", k::select, false, "", "t", ""},
    {"SELECT * FROM t WHERE k = 'IF NOT EXISTS'", k::select, false, "", "t", ""},
    {"SELECT writetime(v), ttl(v) FROM ks.t", k::select, false, "ks", "t", ""},
    {"SELECT * FROM t;", k::select, false, "", "t", ""},
    {"SELECT * FROM system_schema.tables WHERE keyspace_name = 'ks'", k::select, false,
     "system_schema", "tables", ""},
    {"SELECT count(*) FROM t WHERE token(k) > ? AND token(k) <= ?", k::select, false, "", "t",
     ""},
    {"SELECT * FROM t WHERE k IN :keys LIMIT :n", k::select, false, "", "t", ""},
    {"SELECT toDate(now()), toUnixTimestamp(now()) FROM t", k::select, false, "", "t",
     "now,now"},
    {"SELECT system.now() FROM t", k::select, false, "", "t", "now"},
    {"SELECT ks.now() FROM t", k::select, false, "", "t", ""},
    {"SELECT uuid() FROM t", k::select, false, "", "t", "uuid"},
    {"SELECT currentTimeUUID(), currentTimestamp(), currentDate(), currentTime() FROM t",
     k::select, false, "", "t", "currenttimeuuid,currenttimestamp,currentdate,currenttime"},
    {"SELECT current_timeuuid(), current_timestamp(), current_date(), current_time() FROM t",
     k::select, false, "", "t", "currenttimeuuid,currenttimestamp,currentdate,currenttime"},
    {"SELECT NOW ( ) FROM t", k::select, false, "", "t", "now"},
    {"SELECT \"now\"() FROM t", k::select, false, "", "t", "now"},
    {"SELECT \"NOW\"() FROM t", k::select, false, "", "t", ""},
    {"SELECT now(1) FROM t", k::select, false, "", "t", ""},
    {"SELECT * FROM t WHERE b = 0xCAFE AND u = 550e8400-e29b-41d4-a716-446655440000",
     k::select, false, "", "t", ""},
    {"SELECT CAST(v AS text) FROM ks.t PER PARTITION LIMIT 1 ALLOW FILTERING", k::select,
     false, "ks", "t", ""},
    // INSERT.
    {"INSERT INTO t (k, v) VALUES (1, 2)", k::insert, false, "", "t", ""},
    {"INSERT INTO ks.t (k, v) VALUES (?, ?) IF NOT EXISTS", k::insert, true, "ks", "t", ""},
    {"insert into KS.T (k) values (1) if not exists using ttl 10", k::insert, true, "ks", "t",
     ""},
    {"INSERT INTO t (k, v) VALUES (1, 'IF NOT EXISTS')", k::insert, false, "", "t", ""},
    {"INSERT INTO t (k, v) VALUES (1, $$ IF NOT EXISTS $$)", k::insert, false, "", "t", ""},
    {"INSERT INTO t (k, v) VALUES (1, 2) -- IF NOT EXISTS", k::insert, false, "", "t", ""},
    {"INSERT INTO t (k, v) VALUES (1, 2) // IF NOT EXISTS", k::insert, false, "", "t", ""},
    {"INSERT INTO t (k, v) VALUES (1, 2) /* IF NOT EXISTS */", k::insert, false, "", "t", ""},
    {"INSERT INTO t (\"if\", v) VALUES (1, 2)", k::insert, false, "", "t", ""},
    {"INSERT INTO t (k, id) VALUES (1, now())", k::insert, false, "", "t", "now"},
    {"INSERT INTO t (k, id, u) VALUES (1, now(), uuid())", k::insert, false, "", "t",
     "now,uuid"},
    {"INSERT INTO t JSON '{\"k\": 1, \"v\": \"now()\"}'", k::insert, false, "", "t", ""},
    {"INSERT INTO ks.t JSON ? DEFAULT UNSET", k::insert, false, "ks", "t", ""},
    {"INSERT INTO t (k, v) VALUES (1, 2) USING TIMESTAMP 123", k::insert, false, "", "t", ""},
    {"INSERT INTO t (k, ts) VALUES (1, toTimestamp(now()))", k::insert, false, "", "t", "now"},
    {"INSERT INTO \"Ks\".\"Tb\" (k) VALUES (1)", k::insert, false, "Ks", "Tb", ""},
    {"INSERT INTO t (k, m) VALUES (1, {'a': now()})", k::insert, false, "", "t", "now"},
    {"INSERT INTO t (k, addr) VALUES (1, {f:now(), ttl:uuid()})", k::insert, false, "", "t",
     "now,uuid"},
    {"INSERT INTO t (k, v) VALUES (:k, :v)", k::insert, false, "", "t", ""},
    {"INSERT INTO t (k, v) VALUES (1, 'it''s now() IF')", k::insert, false, "", "t", ""},
    {"INSERT INTO t(k,v)VALUES(1,now())IF NOT EXISTS", k::insert, true, "", "t", "now"},
    {"INSERT INTO t (k, v) VALUES (1, now(/* nothing */))", k::insert, false, "", "t", "now"},
    // UPDATE.
    {"UPDATE t SET v = 1 WHERE k = 1", k::update, false, "", "t", ""},
    {"UPDATE ks.t SET v = 1 WHERE k = 1 IF EXISTS", k::update, true, "ks", "t", ""},
    {"UPDATE ks.t SET v = 1 WHERE k = 1 IF v = 0", k::update, true, "ks", "t", ""},
    {"update ks.t using ttl 5 and timestamp 10 set v = 1 where k = 1", k::update, false, "ks",
     "t", ""},
    {"UPDATE t SET c = c + 1 WHERE k = 1", k::update, false, "", "t", ""},
    {"UPDATE t SET ts = toTimestamp(now()) WHERE k = 1", k::update, false, "", "t", "now"},
    {"UPDATE t SET v = 'IF' WHERE k = 1", k::update, false, "", "t", ""},
    {"UPDATE \"T\" SET \"If\" = 1 WHERE k = 1", k::update, false, "", "T", ""},
    {"UPDATE t SET l = l + [1] WHERE k = 1", k::update, false, "", "t", ""},
    {"UPDATE t SET v = 1 WHERE k = 1 IF v != 2 AND w = 3", k::update, true, "", "t", ""},
    {"UPDATE t SET id = uuid() WHERE k = 1 IF EXISTS", k::update, true, "", "t", "uuid"},
    {"UPDATE t SET m['now()'] = 1 WHERE k = 1", k::update, false, "", "t", ""},
    {"UPDATE ks.now SET now = 1 WHERE k = 1", k::update, false, "ks", "now", ""},
    {"UPDATE t SET v = 'x' WHERE k = 1 -- IF v = 1", k::update, false, "", "t", ""},
    {"UPDATE t SET c = c - ? WHERE k = ?", k::update, false, "", "t", ""},
    {"UPDATE t SET v = 1 WHERE k = 1 IF v = 'x' AND w IN (1, 2)", k::update, true, "", "t", ""},
    {"UPDATE t USING TIMESTAMP ? SET v = currentTimestamp() WHERE k = ?", k::update, false, "",
     "t", "currenttimestamp"},
    // DELETE.
    {"DELETE FROM t WHERE k = 1", k::delete_, false, "", "t", ""},
    {"DELETE v FROM ks.t WHERE k = 1", k::delete_, false, "ks", "t", ""},
    {"DELETE m['a'], l[0] FROM ks.t WHERE k = 1 IF EXISTS", k::delete_, true, "ks", "t", ""},
    {"DELETE FROM t USING TIMESTAMP 5 WHERE k = 1", k::delete_, false, "", "t", ""},
    {"delete from KS.T where k = 1 if v = 2", k::delete_, true, "ks", "t", ""},
    {"DELETE FROM t WHERE k = 1 AND c < now()", k::delete_, false, "", "t", "now"},
    {"DELETE FROM \"My\"\"T\" WHERE k = 1", k::delete_, false, "", "My\"T", ""},
    {"DELETE FROM t WHERE k = '/* IF EXISTS */'", k::delete_, false, "", "t", ""},
    // BATCH: names are per inner statement (see the batch tests below).
    {"BEGIN BATCH INSERT INTO t (k) VALUES (1); UPDATE ks.u SET v = 1 WHERE k = 1; APPLY BATCH",
     k::batch, false, "", "", ""},
    {"BEGIN UNLOGGED BATCH INSERT INTO t (k) VALUES (1); APPLY BATCH;", k::batch, false, "", "",
     ""},
    {"BEGIN COUNTER BATCH UPDATE c SET n = n + 1 WHERE k = 1; APPLY BATCH", k::batch, false, "",
     "", ""},
    {"BEGIN BATCH USING TIMESTAMP 10 INSERT INTO t (k) VALUES (1); APPLY BATCH", k::batch,
     false, "", "", ""},
    {"BEGIN BATCH INSERT INTO t (k) VALUES (1) IF NOT EXISTS; APPLY BATCH", k::batch, true, "",
     "", ""},
    {"begin batch insert into t (k) values (1) update t set v = 1 where k = 1 apply batch",
     k::batch, false, "", "", ""},
    {"BEGIN BATCH INSERT INTO t (k, v) VALUES (1, 'IF NOT EXISTS'); APPLY BATCH", k::batch,
     false, "", "", ""},
    {"BEGIN BATCH INSERT INTO t (k, id) VALUES (1, now()); DELETE FROM t WHERE k = 2; "
     "APPLY BATCH",
     k::batch, false, "", "", "now"},
    {"BEGIN BATCH -- IF\n INSERT INTO t (k) VALUES (1) /* IF EXISTS */; APPLY BATCH", k::batch,
     false, "", "", ""},
    {"BEGIN BATCH UPDATE t SET v = 1 WHERE k = 1 IF v = 0; APPLY BATCH;", k::batch, true, "",
     "", ""},
    // DDL: IF [NOT] EXISTS is not an LWT.
    {"CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
     k::ddl, false, "ks", "", ""},
    {"CREATE KEYSPACE IF NOT EXISTS Ks WITH replication = {'class': 'NetworkTopologyStrategy'}",
     k::ddl, false, "ks", "", ""},
    {"CREATE TABLE ks.t (k int PRIMARY KEY, v text)", k::ddl, false, "ks", "t", ""},
    {"CREATE TABLE IF NOT EXISTS ks.t (k int PRIMARY KEY, id timeuuid)", k::ddl, false, "ks",
     "t", ""},
    {"CREATE TABLE \"Ks\".\"MyTable\" (k int PRIMARY KEY)", k::ddl, false, "Ks", "MyTable", ""},
    {"CREATE TABLE t (k uuid PRIMARY KEY, now timestamp, uuid uuid)", k::ddl, false, "", "t",
     ""},
    {"ALTER TABLE ks.t ADD w int", k::ddl, false, "ks", "t", ""},
    {"DROP TABLE IF EXISTS ks.t", k::ddl, false, "ks", "t", ""},
    {"DROP KEYSPACE ks", k::ddl, false, "ks", "", ""},
    {"CREATE INDEX IF NOT EXISTS idx ON ks.t (v)", k::ddl, false, "ks", "t", ""},
    {"CREATE CUSTOM INDEX ON ks.t (v) USING 'StorageAttachedIndex'", k::ddl, false, "ks", "t",
     ""},
    {"DROP INDEX ks.idx", k::ddl, false, "ks", "", ""},
    {"CREATE MATERIALIZED VIEW ks.mv AS SELECT * FROM ks.t WHERE v IS NOT NULL AND k IS NOT "
     "NULL PRIMARY KEY (v, k)",
     k::ddl, false, "ks", "mv", ""},
    {"DROP MATERIALIZED VIEW IF EXISTS ks.mv", k::ddl, false, "ks", "mv", ""},
    {"ALTER MATERIALIZED VIEW ks.mv WITH comment = 'IF now()'", k::ddl, false, "ks", "mv", ""},
    {"CREATE TYPE IF NOT EXISTS ks.address (street text, city text)", k::ddl, false, "ks", "",
     ""},
    {"ALTER TYPE ks.address ADD zip int", k::ddl, false, "ks", "", ""},
    {"CREATE OR REPLACE FUNCTION ks.f (a int) CALLED ON NULL INPUT RETURNS timeuuid LANGUAGE "
     "java AS $$ return now(); $$",
     k::ddl, false, "ks", "", ""},
    {"CREATE FUNCTION IF NOT EXISTS ks.g () RETURNS NULL ON NULL INPUT RETURNS text LANGUAGE "
     "java AS 'return \"IF now()\";'",
     k::ddl, false, "ks", "", ""},
    {"CREATE FUNCTION now () CALLED ON NULL INPUT RETURNS int LANGUAGE java AS 'return 1;'",
     k::ddl, false, "", "", ""},
    {"DROP FUNCTION IF EXISTS ks.f", k::ddl, false, "ks", "", ""},
    {"CREATE AGGREGATE ks.average (int) SFUNC st STYPE tuple<int, bigint> FINALFUNC fin "
     "INITCOND (0, 0)",
     k::ddl, false, "ks", "", ""},
    {"DROP AGGREGATE ks.average", k::ddl, false, "ks", "", ""},
    {"CREATE TRIGGER trg ON ks.t USING 'org.example.Trigger'", k::ddl, false, "ks", "t", ""},
    {"DROP TRIGGER IF EXISTS trg ON ks.t", k::ddl, false, "ks", "t", ""},
    {"ALTER KEYSPACE ks WITH durable_writes = false", k::ddl, false, "ks", "", ""},
    {"CREATE SCHEMA ks2 WITH replication = {'class': 'SimpleStrategy'}", k::ddl, false, "ks2",
     "", ""},
    {"CREATE COLUMNFAMILY ks.cf (k int PRIMARY KEY)", k::ddl, false, "ks", "cf", ""},
    {"/* leading */ create table T (k int primary key)", k::ddl, false, "", "t", ""},
    // TRUNCATE and USE: mirrored, not timestamped.
    {"TRUNCATE ks.t", k::truncate, false, "ks", "t", ""},
    {"TRUNCATE TABLE t", k::truncate, false, "", "t", ""},
    {"USE ks", k::use, false, "ks", "", ""},
    {"USE \"MyKs\";", k::use, false, "MyKs", "", ""},
    {"use KS", k::use, false, "ks", "", ""},
    // Everything else.
    {"GRANT SELECT ON KEYSPACE ks TO alice", k::other, false, "", "", ""},
    {"REVOKE MODIFY ON ks.t FROM bob", k::other, false, "", "", ""},
    {"LIST ROLES", k::other, false, "", "", ""},
    {"LIST ALL PERMISSIONS OF alice", k::other, false, "", "", ""},
    {"CREATE ROLE IF NOT EXISTS alice WITH PASSWORD = 'now()' AND LOGIN = true", k::other,
     false, "", "", ""},
    {"ALTER USER bob WITH PASSWORD 'x'", k::other, false, "", "", ""},
    {"DROP ROLE alice", k::other, false, "", "", ""},
    {"ADD IDENTITY 'spiffe://x' TO ROLE 'r'", k::other, false, "", "", ""},
    {"DROP IDENTITY 'spiffe://x'", k::other, false, "", "", ""},
    {"DESCRIBE KEYSPACES", k::other, false, "", "", ""},
    {"", k::other, false, "", "", ""},
    {"-- only a comment", k::other, false, "", "", ""},
    {";", k::other, false, "", "", ""},
    {"EXPLAIN SELECT * FROM t", k::other, false, "", "", ""},
    // Several statements: the first is classified.
    {"SELECT * FROM t; DROP TABLE t", k::select, false, "", "t", ""},
    {"INSERT INTO t (k) VALUES (1);;", k::insert, false, "", "t", ""},
    {"DELETE FROM a WHERE k = 1; SELECT now() FROM b", k::delete_, false, "", "a", "now"},
};

TEST(CqlClassifier, ClassifiesEveryStatementOfTheTable) {
  EXPECT_GE(rows.size(), 100u);
  for (const auto& r : rows) {
    const auto info = classify(r.text);
    ASSERT_TRUE(info.has_value()) << r.text;
    EXPECT_EQ(statement_kind_name(info->kind), std::string(statement_kind_name(r.kind)))
        << r.text;
    EXPECT_EQ(info->conditional, r.conditional) << r.text;
    EXPECT_EQ(info->keyspace, r.keyspace) << r.text;
    EXPECT_EQ(info->table, r.table) << r.text;
    EXPECT_EQ(call_names(*info), r.calls) << r.text;
  }
}

TEST(CqlClassifier, MirrorsWritesDdlTruncateAndUseButNotReadsOrOther) {
  for (const auto& r : rows) {
    const bool write = r.kind != k::select && r.kind != k::other;
    EXPECT_EQ(classify(r.text)->is_write(), write) << r.text;
  }
}

TEST(CqlClassifier, ListsEveryInnerStatementOfABatchWithItsOwnFacts) {
  const auto info = classify(
                        "BEGIN UNLOGGED BATCH USING TIMESTAMP 42\n"
                        "  INSERT INTO ks.a (k) VALUES (1) IF NOT EXISTS;\n"
                        "  UPDATE \"B\" USING TTL 60 SET c = c + 1 WHERE k = 1\n"
                        "  DELETE FROM ks.\"C\" USING TIMESTAMP 7 WHERE k = 2;\n"
                        "APPLY BATCH;")
                        .value();
  EXPECT_EQ(info.kind, k::batch);
  EXPECT_EQ(info.batch_kind, batch_type::unlogged);
  EXPECT_TRUE(info.conditional);
  EXPECT_TRUE(info.uses_timestamp);
  EXPECT_TRUE(info.uses_ttl);
  EXPECT_TRUE(info.counter_update);
  const std::vector<batch_entry> expected{
      {k::insert, "ks", "a", true, false, false, false},
      {k::update, "", "B", false, false, true, true},
      {k::delete_, "ks", "C", false, true, false, false},
  };
  EXPECT_EQ(info.batch_statements, expected);
  EXPECT_FALSE(info.trailing_statements);
}

TEST(CqlClassifier, ReadsTheBatchTypeAndItsTimestamp) {
  const auto logged = classify("BEGIN BATCH INSERT INTO t (k) VALUES (1) APPLY BATCH").value();
  EXPECT_EQ(logged.batch_kind, batch_type::logged);
  EXPECT_FALSE(logged.uses_timestamp);
  EXPECT_FALSE(logged.counter_update);
  const auto counter =
      classify("begin counter batch using timestamp ? update t set n = n + ? where k = ?; "
               "apply batch")
          .value();
  EXPECT_EQ(counter.batch_kind, batch_type::counter);
  EXPECT_TRUE(counter.uses_timestamp);
  EXPECT_TRUE(counter.counter_update);
  EXPECT_EQ(counter.positional_markers, 3u);
  ASSERT_EQ(counter.batch_statements.size(), 1u);
  EXPECT_EQ(counter.batch_statements[0].table, "t");
}

TEST(CqlClassifier, DoesNotTakeATransactionForABatch) {
  const auto info = classify("BEGIN TRANSACTION SELECT * FROM t; COMMIT TRANSACTION").value();
  EXPECT_EQ(info.kind, k::other);
  EXPECT_FALSE(info.trailing_statements);
}

TEST(CqlClassifier, FindsUsingTimestampAndTtlOnlyInTheUsingClause) {
  struct timing {
    std::string_view text;
    bool timestamp;
    bool ttl;
  };
  const std::vector<timing> cases{
      {"INSERT INTO t (k) VALUES (1) USING TIMESTAMP 1", true, false},
      {"INSERT INTO t (k) VALUES (1) USING TTL 1", false, true},
      {"INSERT INTO t (k) VALUES (1) USING TTL ? AND TIMESTAMP ?", true, true},
      {"UPDATE t USING TIMESTAMP :ts AND TTL :ttl SET v = 1 WHERE k = 1", true, true},
      {"DELETE FROM t USING TIMESTAMP 1 WHERE k = 1", true, false},
      {"INSERT INTO t (k, timestamp, ttl) VALUES (1, 2, 3)", false, false},
      {"INSERT INTO t (k, v) VALUES (1, 'USING TIMESTAMP 5')", false, false},
      {"SELECT ttl(v), writetime(v) FROM t", false, false},
      {"CREATE TABLE t (k int PRIMARY KEY, ts timestamp)", false, false},
  };
  for (const auto& c : cases) {
    const auto info = classify(c.text).value();
    EXPECT_EQ(info.uses_timestamp, c.timestamp) << c.text;
    EXPECT_EQ(info.uses_ttl, c.ttl) << c.text;
  }
}

TEST(CqlClassifier, FlagsCounterLookingUpdates) {
  struct counter_case {
    std::string_view text;
    bool counter;
  };
  const std::vector<counter_case> cases{
      {"UPDATE t SET c = c + 1 WHERE k = 1", true},
      {"UPDATE t SET c = c - ? WHERE k = ?", true},
      {"UPDATE t SET v = 'a', c = c + :d WHERE k = 1", true},
      {"UPDATE t SET C = c + -1 WHERE k = 1", true},
      {"UPDATE t SET \"C\" = \"C\" + 1 WHERE k = 1", true},
      {"UPDATE t SET c += 5 WHERE k = 1", true},
      {"UPDATE t SET c -= ? WHERE k = 1", true},
      {"UPDATE t SET c = d + 1 WHERE k = 1", false},
      {"UPDATE t SET \"C\" = c + 1 WHERE k = 1", false},
      {"UPDATE t SET l = l + [1] WHERE k = 1", false},
      {"UPDATE t SET s = s + {'a'} WHERE k = 1", false},
      {"UPDATE t SET c = 1 WHERE k = 1 AND c = c + 1", false},
      {"UPDATE t SET v = 'c = c + 1' WHERE k = 1", false},
      {"INSERT INTO t (k, c) VALUES (1, 2)", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(classify(c.text)->counter_update, c.counter) << c.text;
  }
}

TEST(CqlClassifier, FlagsListAppendsAndPrepends) {
  struct append_case {
    std::string_view text;
    bool append;
  };
  const std::vector<append_case> cases{
      {"UPDATE t SET l = l + [1, 2] WHERE k = 1", true},
      {"UPDATE t SET l += ['a'] WHERE k = 1", true},
      {"UPDATE t SET v = 1, l = [[1], [2]] + l WHERE k = 1", true},
      {"UPDATE t SET l = ? + l WHERE k = ?", true},
      {"UPDATE t SET \"L\" = \"L\" + [1] WHERE k = 1", true},
      {"BEGIN BATCH INSERT INTO t (k) VALUES (1); UPDATE t SET l = l + [1] WHERE k = 1 APPLY BATCH",
       true},
      {"UPDATE t SET l = [1] WHERE k = 1", false},
      {"UPDATE t SET l = m + [1] WHERE k = 1", false},
      {"UPDATE t SET s = s + {'a'} WHERE k = 1", false},
      {"UPDATE t SET m = m + {'a': 1} WHERE k = 1", false},
      {"UPDATE t SET l = l - [1] WHERE k = 1", false},
      {"UPDATE t SET l[0] = 5 WHERE k = 1", false},
      {"UPDATE t SET v = 'l = l + [1]' WHERE k = 1", false},
      {"INSERT INTO t (k, l) VALUES (1, [1])", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(classify(c.text)->list_append, c.append) << c.text;
  }
}

TEST(CqlClassifier, GivesTheOffsetAndLengthOfEveryWholeCall) {
  const std::string_view text =
      "UPDATE t SET ts = toTimestamp(now()), u = SYSTEM.uuid ( ), d = currentDate(/**/) "
      "WHERE k = 1";
  const auto info = classify(text).value();
  ASSERT_EQ(info.calls.size(), 3u);
  std::vector<std::string_view> texts;
  for (const auto& c : info.calls) {
    texts.push_back(text.substr(c.offset, c.length));
  }
  EXPECT_EQ(texts, (std::vector<std::string_view>{"now()", "SYSTEM.uuid ( )",
                                                  "currentDate(/**/)"}));
  EXPECT_EQ(info.calls[0], (function_call{nondeterministic_function::now, 30, 5}));
  EXPECT_EQ(info.calls[1].function, nondeterministic_function::uuid);
  EXPECT_EQ(info.calls[2].function, nondeterministic_function::current_date);
}

TEST(CqlClassifier, ReplacesCallsWithLiteralsKeepingEverythingElse) {
  const std::string_view text =
      "INSERT INTO t (k, a, b) VALUES (now(), 'now()', system.uuid()) -- now()";
  const auto info = classify(text).value();
  ASSERT_EQ(info.calls.size(), 2u);
  const std::vector<std::string_view> literals{"50554d6e-29bb-11e5-b345-feff819cdc9f",
                                               "f47ac10b-58cc-4372-a567-0e02b2c3d479"};
  EXPECT_EQ(replace_calls(text, info.calls, literals),
            "INSERT INTO t (k, a, b) VALUES (50554d6e-29bb-11e5-b345-feff819cdc9f, 'now()', "
            "f47ac10b-58cc-4372-a567-0e02b2c3d479) -- now()");
  EXPECT_EQ(replace_calls(text, {}, {}), text);
  const std::vector<std::string_view> same{"now()", "system.uuid()"};
  EXPECT_EQ(replace_calls(text, info.calls, same), text);
}

TEST(CqlClassifier, CountsPositionalAndNamedMarkersInOrder) {
  const auto positional = classify("SELECT * FROM t WHERE k = ? AND c IN ? LIMIT ?").value();
  EXPECT_EQ(positional.positional_markers, 3u);
  EXPECT_TRUE(positional.named_markers.empty());
  const auto named =
      classify("UPDATE t USING TTL :ttl SET v = :Val, m[:key] = :\"V2\" WHERE k = :k IF v = '?'")
          .value();
  EXPECT_EQ(named.positional_markers, 0u);
  EXPECT_EQ(named.named_markers,
            (std::vector<std::string>{"ttl", "val", "key", "V2", "k"}));
  const auto none = classify("SELECT '?', \"?\", $$:x$$ FROM t -- ? :y").value();
  EXPECT_EQ(none.positional_markers, 0u);
  EXPECT_TRUE(none.named_markers.empty());
}

TEST(CqlClassifier, ReportsWhereTheStatementEndsBeforeATrailingSemicolon) {
  EXPECT_EQ(classify("SELECT * FROM t").value().end_offset, 15u);
  EXPECT_EQ(classify("SELECT * FROM t ;  -- done").value().end_offset, 15u);
  EXPECT_EQ(classify("SELECT * FROM t /* c */;;").value().end_offset, 15u);
  EXPECT_EQ(classify("  USE ks\n").value().end_offset, 8u);
  EXPECT_EQ(classify("BEGIN BATCH INSERT INTO t (k) VALUES (1); APPLY BATCH;").value().end_offset,
            53u);
  EXPECT_EQ(classify("-- nothing").value().end_offset, 0u);
}

TEST(CqlClassifier, NoticesTextAfterTheFirstStatement) {
  EXPECT_FALSE(classify("SELECT * FROM t").value().trailing_statements);
  EXPECT_FALSE(classify("SELECT * FROM t;;; -- x").value().trailing_statements);
  EXPECT_TRUE(classify("SELECT * FROM t; DROP TABLE t").value().trailing_statements);
  EXPECT_TRUE(classify("BEGIN BATCH APPLY BATCH; SELECT 1").value().trailing_statements);
}

TEST(CqlClassifier, DescribesDdlObjectsAndTheirIfClause) {
  struct ddl_case {
    std::string_view text;
    schema_object object;
    std::string_view name;
    bool if_clause;
  };
  const std::vector<ddl_case> cases{
      {"CREATE KEYSPACE IF NOT EXISTS ks WITH x = 1", schema_object::keyspace, "ks", true},
      {"CREATE TABLE ks.\"T\" (k int PRIMARY KEY)", schema_object::table, "T", false},
      {"CREATE INDEX idx ON ks.t (v)", schema_object::index, "idx", false},
      {"CREATE INDEX ON ks.t (v)", schema_object::index, "", false},
      {"DROP INDEX IF EXISTS ks.idx", schema_object::index, "idx", true},
      {"CREATE MATERIALIZED VIEW IF NOT EXISTS mv AS SELECT", schema_object::view, "mv", true},
      {"ALTER TYPE ks.Addr RENAME a TO b", schema_object::type, "addr", false},
      {"CREATE OR REPLACE FUNCTION ks.f() CALLED ON NULL INPUT", schema_object::function, "f",
       false},
      {"DROP AGGREGATE IF EXISTS ks.a", schema_object::aggregate, "a", true},
      {"CREATE TRIGGER IF NOT EXISTS trg ON t USING 'x'", schema_object::trigger, "trg", true},
      {"CREATE SOMETHING ks.x", schema_object::unknown, "", false},
  };
  for (const auto& c : cases) {
    const auto info = classify(c.text).value();
    EXPECT_EQ(info.kind, k::ddl) << c.text;
    EXPECT_EQ(info.object, c.object) << c.text;
    EXPECT_EQ(info.object_name, c.name) << c.text;
    EXPECT_EQ(info.ddl_if_clause, c.if_clause) << c.text;
    EXPECT_FALSE(info.conditional) << c.text;
  }
}

TEST(CqlClassifier, MarksRoleUserIdentityAndPermissionChangesAsAuth) {
  for (const std::string_view text :
       {"GRANT ALL ON ks.t TO r", "REVOKE SELECT ON ALL KEYSPACES FROM r",
        "CREATE ROLE r WITH LOGIN = true", "ALTER ROLE r WITH PASSWORD = 'p'", "DROP USER u",
        "CREATE USER IF NOT EXISTS u WITH PASSWORD 'p'", "ADD IDENTITY 'i' TO ROLE 'r'",
        "DROP IDENTITY 'i'"}) {
    const auto info = classify(text).value();
    EXPECT_EQ(info.kind, k::other) << text;
    EXPECT_TRUE(info.modifies_auth) << text;
    EXPECT_FALSE(info.is_write()) << text;
  }
  for (const std::string_view text : {"LIST ROLES", "LIST USERS", "DESCRIBE TABLES", "x"}) {
    EXPECT_FALSE(classify(text)->modifies_auth) << text;
  }
}

TEST(CqlClassifier, RejectsUnterminatedTextWithAnError) {
  for (const std::string_view text :
       {"SELECT * FROM t WHERE k = 'abc", "INSERT INTO \"T (k) VALUES (1)",
        "CREATE FUNCTION f() AS $$ return 1;", "SELECT * FROM t /* IF", "k = :\"x"}) {
    const auto info = classify(text);
    ASSERT_FALSE(info.has_value()) << text;
    EXPECT_EQ(info.error(), errc::cql_unterminated) << text;
  }
}

TEST(CqlClassifier, NamesKindsAndFunctions) {
  EXPECT_STREQ(statement_kind_name(k::delete_), "delete");
  EXPECT_STREQ(statement_kind_name(k::truncate), "truncate");
  EXPECT_STREQ(function_name(nondeterministic_function::current_timestamp), "currenttimestamp");
}

}  // namespace
}  // namespace tandem::protocol::cql
