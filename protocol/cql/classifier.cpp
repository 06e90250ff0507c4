#include "protocol/cql/classifier.hpp"

#include "protocol/cql/set_clause.hpp"
#include "protocol/cql/token_scan.hpp"

#include <array>
#include <cassert>
#include <optional>
#include <utility>

namespace tandem::protocol::cql {
namespace {

struct qualified_name {
  std::string keyspace;  // "" when not qualified
  std::string name;      // "" when there is no name at the position
  std::size_t next = 0;  // the token after the name
};

// [keyspace '.'] name at token i.
qualified_name read_name(token_span s, std::size_t i) {
  qualified_name q;
  q.next = i;
  if (!tok(s, i).is_name()) {
    return q;
  }
  if (tok(s, i + 1).is_punct(".") && tok(s, i + 2).is_name()) {
    q.keyspace = identifier_name(s[i]);
    q.name = identifier_name(s[i + 2]);
    q.next = i + 3;
  } else {
    q.name = identifier_name(s[i]);
    q.next = i + 1;
  }
  return q;
}

struct using_flags {
  bool timestamp = false;
  bool ttl = false;
  std::size_t next = 0;
};

// USING (TTL | TIMESTAMP) value (AND (TTL | TIMESTAMP) value)* with USING at token i.
using_flags read_using(token_span s, std::size_t i) {
  using_flags f;
  std::size_t j = i + 1;
  while (true) {
    if (tok(s, j).is_keyword("ttl")) {
      f.ttl = true;
    } else if (tok(s, j).is_keyword("timestamp")) {
      f.timestamp = true;
    } else {
      break;
    }
    j += 2;  // the keyword and its value (a number or a bind marker)
    if (!tok(s, j).is_keyword("and")) {
      break;
    }
    ++j;
  }
  f.next = j;
  return f;
}

// SELECT, INSERT, UPDATE or DELETE; kind `other` for anything else.
batch_entry analyze_dml(token_span s) {
  batch_entry e;
  const token& first = tok(s, 0);
  qualified_name name;
  if (first.is_keyword("select") || first.is_keyword("delete")) {
    e.kind = first.is_keyword("select") ? statement_kind::select : statement_kind::delete_;
    name = read_name(s, find_keyword(s, 1, "from") + 1);
  } else if (first.is_keyword("insert")) {
    e.kind = statement_kind::insert;
    name = read_name(s, tok(s, 1).is_keyword("into") ? 2 : 1);
  } else if (first.is_keyword("update")) {
    e.kind = statement_kind::update;
    name = read_name(s, 1);
  } else {
    return e;
  }
  e.keyspace = std::move(name.keyspace);
  e.table = std::move(name.name);
  if (e.kind == statement_kind::select) {
    return e;
  }
  // IF is a reserved word: as an unquoted token it can only start a condition.
  for (std::size_t i = 1; i < s.size(); ++i) {
    if (s[i].is_keyword("if")) {
      e.conditional = true;
    } else if (s[i].is_keyword("using")) {
      const auto f = read_using(s, i);
      e.uses_timestamp = e.uses_timestamp || f.timestamp;
      e.uses_ttl = e.uses_ttl || f.ttl;
    }
  }
  e.counter_update = e.kind == statement_kind::update && looks_like_counter_update(s);
  e.list_append = e.kind == statement_kind::update && looks_like_list_append(s);
  return e;
}

statement_info from_entry(batch_entry e) {
  statement_info info;
  info.kind = e.kind;
  info.keyspace = std::move(e.keyspace);
  info.table = std::move(e.table);
  info.conditional = e.conditional;
  info.uses_timestamp = e.uses_timestamp;
  info.uses_ttl = e.uses_ttl;
  info.counter_update = e.counter_update;
  info.list_append = e.list_append;
  return info;
}

// BEGIN [UNLOGGED | COUNTER] BATCH [USING TIMESTAMP t] statement [;] ... APPLY BATCH.
// Inner statements may omit the ';' (Cassandra's grammar makes it optional), so a statement
// also ends where the reserved word INSERT, UPDATE or DELETE starts the next one.
statement_info classify_batch(token_span s) {
  statement_info info;
  std::size_t i = 1;
  if (tok(s, i).is_keyword("unlogged")) {
    info.batch_kind = batch_type::unlogged;
    ++i;
  } else if (tok(s, i).is_keyword("counter")) {
    info.batch_kind = batch_type::counter;
    ++i;
  } else if (tok(s, i).is_keyword("logged")) {
    ++i;
  }
  if (!tok(s, i).is_keyword("batch")) {
    return statement_info{};  // BEGIN TRANSACTION and other non-batches: `other`
  }
  info.kind = statement_kind::batch;
  ++i;
  if (tok(s, i).is_keyword("using")) {
    const auto f = read_using(s, i);
    info.uses_timestamp = f.timestamp;
    info.uses_ttl = f.ttl;
    i = f.next;
  }
  info.counter_update = info.batch_kind == batch_type::counter;
  const auto starts_statement = [](const token& t) {
    return t.is_keyword("insert") || t.is_keyword("update") || t.is_keyword("delete");
  };
  while (i < s.size() && !s[i].is_keyword("apply")) {
    if (s[i].is_punct(";")) {
      ++i;
      continue;
    }
    const std::size_t start = i++;
    while (i < s.size() && !s[i].is_punct(";") && !s[i].is_keyword("apply") &&
           !starts_statement(s[i])) {
      ++i;
    }
    batch_entry e = analyze_dml(s.subspan(start, i - start));
    info.conditional = info.conditional || e.conditional;
    info.uses_timestamp = info.uses_timestamp || e.uses_timestamp;
    info.uses_ttl = info.uses_ttl || e.uses_ttl;
    info.counter_update = info.counter_update || e.counter_update;
    info.list_append = info.list_append || e.list_append;
    info.batch_statements.push_back(std::move(e));
  }
  return info;
}

struct object_word {
  std::string_view word;
  schema_object object;
};

constexpr std::array<object_word, 10> object_words{{
    {"keyspace", schema_object::keyspace},
    {"schema", schema_object::keyspace},
    {"table", schema_object::table},
    {"columnfamily", schema_object::table},
    {"index", schema_object::index},
    {"materialized", schema_object::view},  // MATERIALIZED VIEW
    {"type", schema_object::type},
    {"function", schema_object::function},
    {"aggregate", schema_object::aggregate},
    {"trigger", schema_object::trigger},
}};

struct ddl_names {
  std::string keyspace;
  std::string table;
  std::string object_name;
};

// The names a ddl statement gives after its object word (and IF [NOT] EXISTS) at token i.
ddl_names read_ddl_names(token_span s, std::size_t i, schema_object o, bool is_create) {
  ddl_names out;
  if (o == schema_object::index && is_create) {
    // CREATE [CUSTOM] INDEX [name] ON [ks.]table (...): the index name is optional.
    if (tok(s, i).is_name() && !tok(s, i).is_keyword("on")) {
      out.object_name = identifier_name(s[i]);
      ++i;
    }
  } else {
    qualified_name n = read_name(s, i);
    out.keyspace = std::move(n.keyspace);
    out.object_name = std::move(n.name);
    i = n.next;
  }
  if (o == schema_object::keyspace) {
    out.keyspace = out.object_name;
  } else if (o == schema_object::table || o == schema_object::view) {
    out.table = out.object_name;
  } else if ((o == schema_object::index || o == schema_object::trigger) &&
             tok(s, i).is_keyword("on")) {
    qualified_name base = read_name(s, i + 1);
    out.keyspace = std::move(base.keyspace);
    out.table = std::move(base.name);
  }
  return out;
}

// CREATE [OR REPLACE] [CUSTOM] object ..., ALTER object ..., DROP object ...
statement_info classify_ddl(token_span s) {
  statement_info info;
  const bool is_create = s[0].is_keyword("create");
  std::size_t i = 1;
  if (tok(s, i).is_keyword("or") && tok(s, i + 1).is_keyword("replace")) {
    i += 2;
  }
  if (tok(s, i).is_keyword("custom")) {
    ++i;
  }
  const token& word = tok(s, i);
  if (word.is_keyword("role") || word.is_keyword("user") || word.is_keyword("identity")) {
    info.modifies_auth = true;  // kind stays `other` (see statement_kind)
    return info;
  }
  info.kind = statement_kind::ddl;
  info.object = schema_object::unknown;
  for (const auto& w : object_words) {
    if (word.is_keyword(w.word)) {
      info.object = w.object;
    }
  }
  if (info.object == schema_object::unknown) {
    return info;
  }
  i += info.object == schema_object::view ? 2 : 1;
  if (tok(s, i).is_keyword("if")) {
    info.ddl_if_clause = true;
    i += tok(s, i + 1).is_keyword("not") ? 3 : 2;
  }
  ddl_names names = read_ddl_names(s, i, info.object, is_create);
  info.keyspace = std::move(names.keyspace);
  info.table = std::move(names.table);
  info.object_name = std::move(names.object_name);
  return info;
}

statement_info classify_statement(token_span s) {
  const token& first = tok(s, 0);
  if (first.is_keyword("select") || first.is_keyword("insert") || first.is_keyword("update") ||
      first.is_keyword("delete")) {
    return from_entry(analyze_dml(s));
  }
  if (first.is_keyword("begin")) {
    return classify_batch(s);
  }
  if (first.is_keyword("create") || first.is_keyword("alter") || first.is_keyword("drop")) {
    return classify_ddl(s);
  }
  statement_info info;
  if (first.is_keyword("truncate")) {
    const bool keyword = tok(s, 1).is_keyword("table") || tok(s, 1).is_keyword("columnfamily");
    qualified_name n = read_name(s, keyword ? 2 : 1);
    info.kind = statement_kind::truncate;
    info.keyspace = std::move(n.keyspace);
    info.table = std::move(n.name);
  } else if (first.is_keyword("use")) {
    info.kind = statement_kind::use;
    info.keyspace = read_name(s, 1).name;
  } else if (first.is_keyword("grant") || first.is_keyword("revoke") || first.is_keyword("add")) {
    info.modifies_auth = true;  // GRANT, REVOKE, ADD IDENTITY: `other` (see statement_kind)
  }
  return info;
}

// Where the first statement ends: after APPLY BATCH (or COMMIT TRANSACTION) for a statement
// that starts with BEGIN, else at the first ';'.
std::size_t statement_end(token_span s) noexcept {
  if (tok(s, 0).is_keyword("begin")) {
    for (std::size_t i = 1; i + 1 < s.size(); ++i) {
      if ((s[i].is_keyword("apply") && s[i + 1].is_keyword("batch")) ||
          (s[i].is_keyword("commit") && s[i + 1].is_keyword("transaction"))) {
        return i + 2;
      }
    }
    return s.size();
  }
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i].is_punct(";")) {
      return i;
    }
  }
  return s.size();
}

struct function_word {
  std::string_view name;
  nondeterministic_function function;
};

constexpr std::array<function_word, 10> function_words{{
    {"now", nondeterministic_function::now},
    {"uuid", nondeterministic_function::uuid},
    {"currenttimeuuid", nondeterministic_function::current_timeuuid},
    {"current_timeuuid", nondeterministic_function::current_timeuuid},
    {"currenttimestamp", nondeterministic_function::current_timestamp},
    {"current_timestamp", nondeterministic_function::current_timestamp},
    {"currentdate", nondeterministic_function::current_date},
    {"current_date", nondeterministic_function::current_date},
    {"currenttime", nondeterministic_function::current_time},
    {"current_time", nondeterministic_function::current_time},
}};

std::optional<nondeterministic_function> function_of(const token& t) noexcept {
  for (const auto& w : function_words) {
    if (name_equals(t, w.name)) {
      return w.function;
    }
  }
  return std::nullopt;
}

// name ( ) or system . name ( ), the name one of function_words. A quoted name counts when it
// is exactly the lower-case function name ("now"() calls now, as in Cassandra).
std::vector<function_call> find_calls(token_span s) {
  std::vector<function_call> out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!s[i].is_name() || !tok(s, i + 1).is_punct("(") || !tok(s, i + 2).is_punct(")")) {
      continue;
    }
    const auto f = function_of(s[i]);
    if (!f) {
      continue;
    }
    std::size_t start = i;
    if (i >= 2 && s[i - 1].is_punct(".")) {
      if (!name_equals(s[i - 2], "system")) {
        continue;  // ks.now() is a user-defined function of keyspace ks
      }
      start = i - 2;
    }
    // CREATE FUNCTION [IF NOT EXISTS] now () ... declares a function, it does not call one.
    const token& before = tok(s, start - 1);
    if (start > 0 && (before.is_keyword("function") || before.is_keyword("aggregate") ||
                      before.is_keyword("exists"))) {
      continue;
    }
    out.push_back({*f, s[start].offset, s[i + 2].end() - s[start].offset});
  }
  return out;
}

}  // namespace

bool statement_info::is_write() const noexcept {
  return kind != statement_kind::select && kind != statement_kind::other;
}

result<statement_info> classify(std::string_view text) {
  const std::vector<token> toks = tokenize(text);
  if (!toks.empty() && toks.back().kind == token_kind::error) {
    return make_error_code(errc::cql_unterminated);
  }
  const token_span all(toks);
  const std::size_t end = statement_end(all);
  statement_info info = classify_statement(all.first(end));
  info.calls = find_calls(all);
  for (const token& t : toks) {
    if (t.kind == token_kind::positional_marker) {
      ++info.positional_markers;
    } else if (t.kind == token_kind::named_marker) {
      info.named_markers.push_back(identifier_name(t));
    }
  }
  info.end_offset = end > 0 ? toks[end - 1].end() : 0;
  for (std::size_t i = end; i < toks.size(); ++i) {
    if (!toks[i].is_punct(";")) {
      info.trailing_statements = true;
      break;
    }
  }
  return info;
}

std::string replace_calls(std::string_view text, std::span<const function_call> calls,
                          std::span<const std::string_view> replacements) {
  assert(calls.size() == replacements.size());
  std::size_t size = text.size();
  for (std::size_t k = 0; k < calls.size(); ++k) {
    size = size - calls[k].length + replacements[k].size();
  }
  std::string out;
  out.reserve(size);
  std::size_t pos = 0;
  for (std::size_t k = 0; k < calls.size(); ++k) {
    assert(calls[k].offset >= pos && calls[k].offset + calls[k].length <= text.size());
    out.append(text.substr(pos, calls[k].offset - pos));
    out.append(replacements[k]);
    pos = calls[k].offset + calls[k].length;
  }
  out.append(text.substr(pos));
  return out;
}

const char* statement_kind_name(statement_kind k) noexcept {
  switch (k) {
    case statement_kind::select: return "select";
    case statement_kind::insert: return "insert";
    case statement_kind::update: return "update";
    case statement_kind::delete_: return "delete";
    case statement_kind::batch: return "batch";
    case statement_kind::ddl: return "ddl";
    case statement_kind::truncate: return "truncate";
    case statement_kind::use: return "use";
    case statement_kind::other: return "other";
  }
  return "?";
}

const char* function_name(nondeterministic_function f) noexcept {
  switch (f) {
    case nondeterministic_function::now: return "now";
    case nondeterministic_function::uuid: return "uuid";
    case nondeterministic_function::current_timeuuid: return "currenttimeuuid";
    case nondeterministic_function::current_timestamp: return "currenttimestamp";
    case nondeterministic_function::current_date: return "currentdate";
    case nondeterministic_function::current_time: return "currenttime";
  }
  return "?";
}

}  // namespace tandem::protocol::cql
