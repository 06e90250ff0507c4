// The SELECTs on system.local, system.peers and system.peers_v2 the proxy answers itself,
// parsed with the CQL lexer: the selection, the table, an optional WHERE key = literal|? and
// the tail (LIMIT, ALLOW FILTERING). Anything else is refused with a message naming it.
#include "proxy/topology.hpp"

#include "protocol/cql/lexer.hpp"

namespace tandem::proxy {

namespace cql = protocol::cql;

namespace {

// A cursor over the tokens of one SELECT, for parse_system_select.
class select_cursor {
 public:
  explicit select_cursor(std::vector<cql::token> tokens) : tokens_(std::move(tokens)) {}

  const cql::token* peek() const { return pos_ < tokens_.size() ? &tokens_[pos_] : nullptr; }
  const cql::token* take() { return pos_ < tokens_.size() ? &tokens_[pos_++] : nullptr; }
  bool keyword(std::string_view k) { return advance_if(peek() && peek()->is_keyword(k)); }
  bool punct(std::string_view p) { return advance_if(peek() && peek()->is_punct(p)); }
  std::string near() const {
    return peek() ? "near '" + std::string(peek()->text) + "'" : "at the end of the statement";
  }

 private:
  bool advance_if(bool yes) {
    pos_ += yes ? 1 : 0;
    return yes;
  }
  std::vector<cql::token> tokens_;
  std::size_t pos_ = 0;
};

query_result<std::vector<select_item>> parse_selection(select_cursor& c) {
  std::vector<select_item> items;
  do {
    const cql::token* t = c.take();
    if (t == nullptr || !t->is_name()) {
      return query_failure("the proxy answers SELECTs of plain columns of system tables only, " +
                  c.near());
    }
    select_item item{cql::identifier_name(*t), {}};
    if (c.punct("(")) {
      return query_failure("the proxy does not support function calls (" + item.name +
                  "(...)) in SELECTs of system tables");
    }
    if (c.keyword("as")) {
      const cql::token* alias = c.take();
      if (alias == nullptr || !alias->is_name()) {
        return query_failure("expected a name after AS, " + c.near());
      }
      item.alias = cql::identifier_name(*alias);
    } else {
      item.alias = item.name;
    }
    items.push_back(std::move(item));
  } while (c.punct(","));
  return items;
}

// One `column = value`; a marker gets position `next_marker`.
query_result<where_equal> parse_condition(select_cursor& c, std::size_t next_marker) {
  const cql::token* column = c.take();
  if (column == nullptr || !column->is_name() || !c.punct("=")) {
    return query_failure("the proxy answers WHERE clauses of the form column = value only, " + c.near());
  }
  where_equal cond{cql::identifier_name(*column), std::nullopt, 0, {}};
  const cql::token* v = c.take();
  if (v == nullptr) {
    return query_failure("expected a value " + c.near());
  }
  switch (v->kind) {
    case cql::token_kind::string_literal: cond.literal = cql::string_value(*v); break;
    case cql::token_kind::number:
    case cql::token_kind::uuid: cond.literal = std::string(v->text); break;
    case cql::token_kind::named_marker:
      cond.marker_name = cql::identifier_name(*v);
      [[fallthrough]];
    case cql::token_kind::positional_marker: cond.marker = next_marker; break;
    default: return query_failure("unsupported value '" + std::string(v->text) + "' in WHERE");
  }
  return cond;
}

// FROM [ks.]table: only the three tables the proxy answers.
query_result<system_select> parse_from(select_cursor& c, system_select q,
                                       std::string_view session_keyspace) {
  const cql::token* first = c.keyword("from") ? c.take() : nullptr;
  if (first == nullptr || !first->is_name()) {
    return query_failure("expected FROM and a table, " + c.near());
  }
  std::string keyspace(session_keyspace);
  q.table = cql::identifier_name(*first);
  if (c.punct(".")) {
    const cql::token* table = c.take();
    if (table == nullptr || !table->is_name()) {
      return query_failure("expected a table name after '.', " + c.near());
    }
    keyspace = q.table;
    q.table = cql::identifier_name(*table);
  }
  if (keyspace != "system" || (q.table != "local" && q.table != "peers" && q.table != "peers_v2")) {
    return query_failure("the proxy answers system.local, system.peers and system.peers_v2 only, not " +
                keyspace + "." + q.table);
  }
  return q;
}

// [WHERE c = v [AND ...]] [LIMIT n|?] [ALLOW FILTERING] [;] and nothing else.
query_result<system_select> parse_tail(select_cursor& c, system_select q) {
  if (c.keyword("where")) {
    do {
      auto cond = parse_condition(c, q.markers);
      if (!cond) {
        return query_failure(cond.error());
      }
      q.markers += cond->literal ? 0 : 1;
      q.where.push_back(std::move(*cond));
    } while (c.keyword("and"));
  }
  if (c.keyword("limit")) {
    const cql::token* n = c.take();
    if (n != nullptr && (n->kind == cql::token_kind::positional_marker ||
                         n->kind == cql::token_kind::named_marker)) {
      q.limit_marker = q.markers++;
    } else if (n == nullptr || n->kind != cql::token_kind::number) {
      return query_failure("expected a number after LIMIT, " + c.near());
    }
  }
  if (c.keyword("allow") && !c.keyword("filtering")) {
    return query_failure("expected FILTERING after ALLOW, " + c.near());
  }
  c.punct(";");
  if (c.peek() != nullptr) {
    return query_failure("the proxy does not support this SELECT of system." + q.table + ", " + c.near());
  }
  return q;
}

}  // namespace

query_result<system_select> parse_system_select(std::string_view text,
                                                std::string_view session_keyspace) {
  auto tokens = cql::tokenize(text);
  if (!tokens.empty() && tokens.back().kind == cql::token_kind::error) {
    return query_failure(std::string("unterminated string, name or comment in the statement"));
  }
  select_cursor c(std::move(tokens));
  system_select q;
  if (!c.keyword("select")) {
    return query_failure("not a SELECT, " + c.near());
  }
  if (c.peek() && (c.peek()->is_keyword("json") || c.peek()->is_keyword("distinct"))) {
    return query_failure("the proxy does not support SELECT " + std::string(c.peek()->text) +
                " on system tables");
  }
  if (c.punct("*")) {
    q.star = true;
  } else {
    auto items = parse_selection(c);
    if (!items) {
      return query_failure(items.error());
    }
    q.items = std::move(*items);
  }
  auto from = parse_from(c, std::move(q), session_keyspace);
  if (!from) {
    return from;
  }
  return parse_tail(c, std::move(*from));
}

}  // namespace tandem::proxy
