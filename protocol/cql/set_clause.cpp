#include "protocol/cql/set_clause.hpp"

namespace tandem::protocol::cql {
namespace {

// A counter delta: a number or a bind marker, optionally negated.
bool is_counter_operand(token_span s, std::size_t i) noexcept {
  const token& t = tok(s, i).is_punct("-") ? tok(s, i + 1) : tok(s, i);
  return t.kind == token_kind::number || t.kind == token_kind::positional_marker ||
         t.kind == token_kind::named_marker;
}

// The token after the bracketed term that starts at i ("[" ... "]", nesting counted), or s.size().
std::size_t after_brackets(token_span s, std::size_t i) noexcept {
  int depth = 0;
  for (; i < s.size(); ++i) {
    if (s[i].is_punct("[")) ++depth;
    if (s[i].is_punct("]") && --depth == 0) return i + 1;
  }
  return s.size();
}

// True when `is_op(j)` holds for the position j of a column assigned in the SET clause
// (the name right after SET or after a comma, before WHERE).
template <class Assignment>
bool any_assignment(token_span s, Assignment is_op) {
  const std::size_t set = find_keyword(s, 1, "set");
  for (std::size_t j = set + 1; j < s.size() && !s[j].is_keyword("where"); ++j) {
    if (s[j].is_name() && (s[j - 1].is_keyword("set") || s[j - 1].is_punct(",")) && is_op(j)) {
      return true;
    }
  }
  return false;
}

}  // namespace

// SET c = c + x, c = c - x, c += x, c -= x (Cassandra's counter operations; a list or set
// column looks the same when x is a bind marker, hence only a hint).
bool looks_like_counter_update(token_span s) {
  return any_assignment(s, [s](std::size_t j) {
    const token& op = tok(s, j + 1);
    if ((op.is_punct("+=") || op.is_punct("-=")) && is_counter_operand(s, j + 2)) {
      return true;
    }
    const token& sign = tok(s, j + 3);
    return op.is_punct("=") && same_name(s[j], tok(s, j + 2)) &&
           (sign.is_punct("+") || sign.is_punct("-")) && is_counter_operand(s, j + 4);
  });
}

// SET l = l + [...], l += [...], l = [...] + l, l = ? + l: an append or a prepend, which only a
// list column takes in these forms (a set or map literal is written in braces). Cassandra
// keys each appended element by a time UUID of its own, so the same append applied twice
// leaves two elements: not idempotent, never replayed blindly (issue 14).
bool looks_like_list_append(token_span s) {
  return any_assignment(s, [s](std::size_t j) {
    const token& op = tok(s, j + 1);
    if (op.is_punct("+=")) {
      return tok(s, j + 2).is_punct("[");
    }
    if (!op.is_punct("=")) {
      return false;
    }
    if (same_name(s[j], tok(s, j + 2)) && tok(s, j + 3).is_punct("+") &&
        tok(s, j + 4).is_punct("[")) {
      return true;
    }
    const token& first = tok(s, j + 2);
    const std::size_t after =
        first.is_punct("[") ? after_brackets(s, j + 2)
        : (first.kind == token_kind::positional_marker || first.kind == token_kind::named_marker)
            ? j + 3
            : s.size();
    return tok(s, after).is_punct("+") && same_name(s[j], tok(s, after + 1));
  });
}

}  // namespace tandem::protocol::cql
