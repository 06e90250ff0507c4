// Classifies one CQL statement (the query string of QUERY / PREPARE, spec v4 §4.1.4, §4.1.5)
// for routing and write mirroring (DESIGN.md, "The proxy"): is it a read or a write, a
// lightweight transaction, which table it touches, whether it carries its own timestamp, and
// where the non-deterministic calls are that the proxy replaces with one literal value so both
// clusters store the same data. Pure: text in, facts out; it never throws on the text.
//
// It reads the statement with the lexer (lexer.hpp), so keywords, IF and now() inside string
// literals, $$ strings, comments and quoted names never count. It does not validate: text the
// server would reject still gets a best-effort answer (an unknown first word is `other`).
#pragma once

#include "protocol/cql/lexer.hpp"
#include "protocol/error.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::protocol::cql {

// What a statement does. Decisions:
//  - ddl: CREATE / ALTER / DROP of KEYSPACE (or SCHEMA), TABLE (or COLUMNFAMILY), INDEX,
//    MATERIALIZED VIEW, TYPE, FUNCTION, AGGREGATE, TRIGGER, and of anything not listed under
//    `other` (an unknown object is still a schema change: mirroring it is the safe side).
//  - truncate: TRUNCATE [TABLE] t. It removes data, so it must reach both clusters, but it is
//    not a timestamped mutation (no USING TIMESTAMP, no LWT): a kind of its own.
//  - use: USE ks; per-connection state, so both cluster connections must see it.
//  - other: everything else; not mirrored by is_write(). That covers reads of metadata
//    (LIST ROLES/USERS/PERMISSIONS, DESCRIBE) and role, user, identity and permission
//    management (GRANT, REVOKE, CREATE/ALTER/DROP ROLE or USER, ADD/DROP IDENTITY). The latter
//    set modifies_auth: auth often differs between source and target (a managed target has
//    its own users), so whether to mirror them is the proxy's configured choice, not ours.
//    BEGIN TRANSACTION (Accord, after Cassandra 5.0) is also `other`.
enum class statement_kind : std::uint8_t {
  select,
  insert,
  update,
  delete_,  // DELETE (delete is a C++ keyword)
  batch,
  ddl,
  truncate,
  use,
  other,
};

enum class batch_type : std::uint8_t { logged, unlogged, counter };

// The kind of schema object a ddl statement creates, alters or drops.
enum class schema_object : std::uint8_t {
  none,  // not a ddl statement
  keyspace,
  table,
  index,
  view,
  type,
  function,
  aggregate,
  trigger,
  unknown,
};

// Functions whose result differs per call and per node: a mirrored write that calls one would
// store different values on the two clusters. Names are case-insensitive; Cassandra 5.0's
// snake_case names (current_timeuuid, ...) map to the same enum values.
enum class nondeterministic_function : std::uint8_t {
  now,
  uuid,
  current_timeuuid,
  current_timestamp,
  current_date,
  current_time,
};

// One call of a nondeterministic function: `length` bytes at `offset` cover the whole call
// expression, from the function name (or its "system." qualifier) to the closing ')', so
// splicing a literal there replaces the call.
struct function_call {
  nondeterministic_function function = nondeterministic_function::now;
  std::size_t offset = 0;
  std::size_t length = 0;

  friend bool operator==(const function_call&, const function_call&) = default;
};

// One INSERT / UPDATE / DELETE inside a BATCH written in text. Names are resolved as in
// statement_info (unquoted lowercased, quoted exact, keyspace "" when not qualified).
struct batch_entry {
  statement_kind kind = statement_kind::other;
  std::string keyspace;
  std::string table;
  bool conditional = false;
  bool uses_timestamp = false;
  bool uses_ttl = false;
  bool counter_update = false;
  bool list_append = false;

  friend bool operator==(const batch_entry&, const batch_entry&) = default;
};

struct statement_info {
  statement_kind kind = statement_kind::other;
  // A lightweight transaction: INSERT ... IF NOT EXISTS, UPDATE/DELETE ... IF EXISTS or
  // IF <conditions>, or a BATCH with any such statement. DDL's IF [NOT] EXISTS is not one:
  // see ddl_if_clause.
  bool conditional = false;
  // The table read or written (for ddl: the table, view or index base table; for USE and
  // keyspace ddl: keyspace only). Unquoted names lowercased, quoted names exact; keyspace is
  // "" when the statement does not qualify the name (the session's keyspace applies).
  std::string keyspace;
  std::string table;
  // USING TIMESTAMP / USING TTL anywhere in the statement (for BATCH: on the batch or on any
  // inner statement). A statement with its own timestamp must be mirrored unchanged.
  bool uses_timestamp = false;
  bool uses_ttl = false;
  // An UPDATE whose SET has c = c + x, c = c - x, c += x or c -= x with x a number or a bind
  // marker, or a COUNTER batch. Only a hint (a list or set column looks the same with a
  // marker); the schema decides.
  bool counter_update = false;
  // An UPDATE whose SET appends or prepends to a list: l = l + [...], l += [...],
  // l = [...] + l or l = ? + l (for BATCH: any inner statement). Not idempotent.
  bool list_append = false;

  batch_type batch_kind = batch_type::logged;  // for kind == batch
  std::vector<batch_entry> batch_statements;   // for kind == batch, in order

  schema_object object = schema_object::none;  // for kind == ddl
  std::string object_name;                     // the created/altered/dropped name, unqualified
  bool ddl_if_clause = false;                  // ddl with IF [NOT] EXISTS
  bool modifies_auth = false;                  // see statement_kind::other

  // Every nondeterministic call in the text, in order of offset (for every kind; the proxy
  // acts on them for writes only). Calls qualified by a keyspace other than system are user
  // functions and are not listed; nor is the name in CREATE/DROP FUNCTION's signature.
  std::vector<function_call> calls;

  // Bind markers in the text, in order: how many '?' and the names of ':name' markers (by
  // identifier_name rules), so the proxy can add one of the same style.
  std::size_t positional_markers = 0;
  std::vector<std::string> named_markers;

  // Where the statement ends: the offset just past its last token, before a trailing ';' and
  // any whitespace or comment. 0 for a text without tokens.
  std::size_t end_offset = 0;
  // True when more than ';' follows the statement (Cassandra rejects several statements in
  // one query string; the rest is not classified).
  bool trailing_statements = false;

  // True when the statement must be mirrored to both clusters: insert, update, delete_,
  // batch, ddl, truncate and use.
  bool is_write() const noexcept;

  friend bool operator==(const statement_info&, const statement_info&) = default;
};

// Classifies the first statement of `text`. Error: errc::cql_unterminated when the text has
// an unterminated string, quoted name, $$ string or block comment (tokenize() tells where).
result<statement_info> classify(std::string_view text);

// `text` with each call replaced by the replacement of the same index: the same as splicing
// right to left, so every offset stays valid. Requires replacements.size() == calls.size() and
// calls sorted by offset, non-overlapping and inside text (as classify() returns them).
std::string replace_calls(std::string_view text, std::span<const function_call> calls,
                          std::span<const std::string_view> replacements);

const char* statement_kind_name(statement_kind k) noexcept;
const char* function_name(nondeterministic_function f) noexcept;  // "now", "uuid", ...

}  // namespace tandem::protocol::cql
