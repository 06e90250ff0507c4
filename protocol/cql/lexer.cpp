#include "protocol/cql/lexer.hpp"

#include <algorithm>
#include <array>

namespace tandem::protocol::cql {
namespace {

constexpr std::size_t npos = std::string_view::npos;

// Character classes on bytes; no <cctype>, whose answers depend on the locale and whose
// arguments must be representable as unsigned char.
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_alpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_hex(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
constexpr bool is_ident_start(char c) noexcept { return is_alpha(c) || c == '_'; }
constexpr bool is_ident_char(char c) noexcept { return is_ident_start(c) || is_digit(c); }
// Cassandra's WS token: space, tab, newline, carriage return.
constexpr bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
constexpr bool is_printable(char c) noexcept { return c > ' ' && c < '\x7f'; }
constexpr char to_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? char(c + 32) : c; }

char at(std::string_view s, std::size_t i) noexcept { return i < s.size() ? s[i] : '\0'; }

// End of a quoted run that starts with `quote` at `start` and doubles it to escape it
// ('it''s', "a""b"); npos if the closing quote is missing.
std::size_t scan_quoted(std::string_view s, std::size_t start, char quote) noexcept {
  std::size_t i = start + 1;
  while (true) {
    const std::size_t q = s.find(quote, i);
    if (q == npos) {
      return npos;
    }
    if (at(s, q + 1) != quote) {
      return q + 1;
    }
    i = q + 2;
  }
}

// 8-4-4-4-12 hex digits at `start` (Cassandra's UUID token).
bool matches_uuid(std::string_view s, std::size_t start) noexcept {
  constexpr std::array<std::size_t, 5> groups{8, 4, 4, 4, 12};
  std::size_t i = start;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (g > 0) {
      if (at(s, i) != '-') {
        return false;
      }
      ++i;
    }
    for (std::size_t n = 0; n < groups[g]; ++n, ++i) {
      if (!is_hex(at(s, i))) {
        return false;
      }
    }
  }
  return true;
}

std::size_t scan_ident(std::string_view s, std::size_t i) noexcept {
  while (i < s.size() && is_ident_char(s[i])) {
    ++i;
  }
  return i;
}

// Keywords after which ':' + name is a bind marker although the keyword is a name token.
bool takes_marker(const token& t) noexcept {
  static constexpr std::array<std::string_view, 12> keywords{
      "limit", "ttl", "timestamp", "json", "key", "of", "like", "in", "and", "between",
      "contains", "select"};
  for (const auto kw : keywords) {
    if (t.is_keyword(kw)) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (to_lower(a[i]) != to_lower(b[i])) {
      return false;
    }
  }
  return true;
}

bool token::is_keyword(std::string_view keyword) const noexcept {
  return kind == token_kind::identifier && iequals(text, keyword);
}

bool token::is_punct(std::string_view p) const noexcept {
  return kind == token_kind::punctuation && text == p;
}

token lexer::make(token_kind kind, std::size_t start, std::size_t end) noexcept {
  token t{kind, lex_error::none, start, text_.substr(start, end - start)};
  pos_ = end;
  prev2_ = prev_;
  prev_ = t;
  return t;
}

token lexer::fail(lex_error error, std::size_t start) noexcept {
  finished_ = true;
  pos_ = text_.size();
  return token{token_kind::error, error, start, text_.substr(start)};
}

// Skips whitespace and comments. Returns an error token for an unterminated block comment.
std::optional<token> lexer::skip_trivia() noexcept {
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    const char n = at(text_, pos_ + 1);
    if (is_space(c)) {
      ++pos_;
    } else if ((c == '-' && n == '-') || (c == '/' && n == '/')) {
      const std::size_t eol = text_.find_first_of("\r\n", pos_ + 2);
      pos_ = eol == npos ? text_.size() : eol;
    } else if (c == '/' && n == '*') {
      const std::size_t close = text_.find("*/", pos_ + 2);
      if (close == npos) {
        return fail(lex_error::unterminated_comment, pos_);
      }
      pos_ = close + 2;
    } else {
      break;
    }
  }
  return std::nullopt;
}

bool lexer::colon_starts_marker() const noexcept {
  if (prev_.text.empty()) {
    return true;  // the first token
  }
  if (prev_.kind == token_kind::punctuation) {
    return prev_.text != ")" && prev_.text != "]" && prev_.text != "}";
  }
  if (prev_.kind == token_kind::identifier && takes_marker(prev_)) {
    // {ttl: now()} names a UDT field called ttl; LIMIT :n or USING TTL :t take a marker.
    return !prev2_.is_punct("{") && !prev2_.is_punct(",");
  }
  return false;
}

token lexer::lex_colon(std::size_t start) noexcept {
  const char n = at(text_, start + 1);
  if ((n == '"' || is_ident_start(n)) && colon_starts_marker()) {
    if (n == '"') {
      const std::size_t end = scan_quoted(text_, start + 1, '"');
      if (end == npos) {
        return fail(lex_error::unterminated_quoted_identifier, start);
      }
      return make(token_kind::named_marker, start, end);
    }
    return make(token_kind::named_marker, start, scan_ident(text_, start + 1));
  }
  return make(token_kind::punctuation, start, start + 1);
}

// Cassandra's INTEGER and FLOAT (DIGIT+ ('.' DIGIT*)? exponent?). An integer directly
// followed by letters keeps them (the duration literal 1h30m, 2mo); a sign is never part of a
// number, so "c = c -1" is the operator '-' then 1.
token lexer::lex_number(std::size_t start) noexcept {
  std::size_t i = start;
  while (is_digit(at(text_, i))) {
    ++i;
  }
  bool is_float = false;
  if (at(text_, i) == '.') {
    is_float = true;
    ++i;
    while (is_digit(at(text_, i))) {
      ++i;
    }
  }
  const char e = at(text_, i);
  if (e == 'e' || e == 'E') {
    std::size_t j = i + 1;
    if (at(text_, j) == '+' || at(text_, j) == '-') {
      ++j;
    }
    if (is_digit(at(text_, j))) {
      while (is_digit(at(text_, j))) {
        ++j;
      }
      return make(token_kind::number, start, j);
    }
  }
  if (!is_float) {
    i = scan_ident(text_, i);
  }
  return make(token_kind::number, start, i);
}

std::optional<token> lexer::next() noexcept {
  if (finished_) {
    return std::nullopt;
  }
  if (auto error = skip_trivia()) {
    return error;
  }
  const std::size_t start = pos_;
  if (start >= text_.size()) {
    finished_ = true;
    return std::nullopt;
  }
  const char c = text_[start];
  const char n = at(text_, start + 1);
  if (c == '\'' || c == '"') {
    const std::size_t end = scan_quoted(text_, start, c);
    if (end == npos) {
      return fail(c == '\'' ? lex_error::unterminated_string
                            : lex_error::unterminated_quoted_identifier,
                  start);
    }
    return make(c == '\'' ? token_kind::string_literal : token_kind::quoted_identifier, start,
                end);
  }
  if (c == '$' && n == '$') {
    const std::size_t close = text_.find("$$", start + 2);
    if (close == npos) {
      return fail(lex_error::unterminated_dollar_string, start);
    }
    return make(token_kind::dollar_string, start, close + 2);
  }
  if (is_hex(c) && matches_uuid(text_, start)) {
    return make(token_kind::uuid, start, start + 36);
  }
  if (c == '0' && (n == 'x' || n == 'X')) {
    std::size_t i = start + 2;
    while (is_hex(at(text_, i))) {
      ++i;
    }
    return make(token_kind::hex_blob, start, i);
  }
  if (is_digit(c)) {
    return lex_number(start);
  }
  if (is_ident_start(c)) {
    return make(token_kind::identifier, start, scan_ident(text_, start));
  }
  if (c == '?') {
    return make(token_kind::positional_marker, start, start + 1);
  }
  if (c == ':') {
    return lex_colon(start);
  }
  if (n == '=' && (c == '<' || c == '>' || c == '!' || c == '+' || c == '-')) {
    return make(token_kind::punctuation, start, start + 2);
  }
  return make(is_printable(c) ? token_kind::punctuation : token_kind::unknown, start, start + 1);
}

std::vector<token> tokenize(std::string_view text) {
  std::vector<token> out;
  // One allocation for a typical statement (a token and its separator take about 4 bytes);
  // capped so a huge text does not reserve in proportion to its size.
  out.reserve(std::min<std::size_t>(text.size() / 4 + 1, 256));
  lexer lx(text);
  while (auto t = lx.next()) {
    out.push_back(*t);
  }
  return out;
}

namespace {

// Removes the outer quotes of a quoted run and halves the doubled quotes inside it.
std::string unquote(std::string_view quoted, char quote) {
  std::string out;
  if (quoted.size() < 2) {
    return out;
  }
  const std::string_view inner = quoted.substr(1, quoted.size() - 2);
  out.reserve(inner.size());
  for (std::size_t i = 0; i < inner.size(); ++i) {
    out.push_back(inner[i]);
    if (inner[i] == quote && at(inner, i + 1) == quote) {
      ++i;
    }
  }
  return out;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = to_lower(c);
  }
  return out;
}

}  // namespace

std::string identifier_name(const token& t) {
  std::string_view text = t.text;
  if (t.kind == token_kind::named_marker) {
    text.remove_prefix(1);
  } else if (!t.is_name()) {
    return std::string(text);
  }
  if (!text.empty() && text.front() == '"') {
    return unquote(text, '"');
  }
  return lowercase(text);
}

bool name_equals(const token& t, std::string_view lower_name) noexcept {
  if (t.kind == token_kind::identifier) {
    return iequals(t.text, lower_name);
  }
  if (t.kind == token_kind::quoted_identifier) {
    // Names we compare against contain no quote, so the quoted text is just "name".
    return t.text.size() == lower_name.size() + 2 &&
           t.text.substr(1, lower_name.size()) == lower_name;
  }
  return false;
}

std::string string_value(const token& t) {
  if (t.kind == token_kind::string_literal) {
    return unquote(t.text, '\'');
  }
  if (t.kind == token_kind::dollar_string) {
    return std::string(t.text.substr(2, t.text.size() - 4));
  }
  return std::string(t.text);
}

const char* token_kind_name(token_kind k) noexcept {
  switch (k) {
    case token_kind::identifier: return "identifier";
    case token_kind::quoted_identifier: return "quoted_identifier";
    case token_kind::string_literal: return "string_literal";
    case token_kind::dollar_string: return "dollar_string";
    case token_kind::number: return "number";
    case token_kind::hex_blob: return "hex_blob";
    case token_kind::uuid: return "uuid";
    case token_kind::punctuation: return "punctuation";
    case token_kind::positional_marker: return "positional_marker";
    case token_kind::named_marker: return "named_marker";
    case token_kind::unknown: return "unknown";
    case token_kind::error: return "error";
  }
  return "?";
}

}  // namespace tandem::protocol::cql
