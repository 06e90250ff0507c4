// Token scanning helpers the CQL classifier's parts share: lookahead that needs no bounds
// checks, keyword search, name comparison as Cassandra resolves names. Pure, inline.
#pragma once

#include "protocol/cql/lexer.hpp"

#include <span>
#include <string_view>

namespace tandem::protocol::cql {

using token_span = std::span<const token>;

// The token at i, or an empty token past the end, so lookahead needs no bounds checks.
inline const token& tok(token_span s, std::size_t i) noexcept {
  static const token past_end{};
  return i < s.size() ? s[i] : past_end;
}

inline std::size_t find_keyword(token_span s, std::size_t from, std::string_view keyword) noexcept {
  for (std::size_t i = from; i < s.size(); ++i) {
    if (s[i].is_keyword(keyword)) {
      return i;
    }
  }
  return s.size();
}

// Two names are the same column when both unquoted names match case-insensitively, or their
// resolved names (quoted exact, unquoted lowercased) are equal.
inline bool same_name(const token& a, const token& b) {
  if (!a.is_name() || !b.is_name()) {
    return false;
  }
  if (a.kind == token_kind::identifier && b.kind == token_kind::identifier) {
    return iequals(a.text, b.text);
  }
  return identifier_name(a) == identifier_name(b);
}

}  // namespace tandem::protocol::cql
