// A lexer for CQL statement text: the [long string] query of QUERY and PREPARE and the query
// strings inside BATCH (spec v4 §4.1.4, §4.1.5, §4.1.7). It follows the token rules of
// Cassandra's CQL grammar closely enough to classify statements (classifier.hpp); it does not
// validate them, the server does that.
//
// Tokens are views into the caller's text (no allocation per token). Whitespace (space, tab,
// CR, LF) and comments are skipped:
//   -- ... and // ...   run to the end of the line (or of the text);
//   /* ... */           ends at the FIRST "*/": CQL block comments do not nest, as in Cassandra,
//                       so "/* a /* b */ c */" is the comment "/* a /* b */" then tokens c * /.
// An unterminated string, quoted name, $$ string or block comment yields one token of kind
// `error` that covers the rest of the text and says what was left open; nothing follows it.
// Bytes that cannot start any CQL token (control characters, non-ASCII outside strings) come
// out as one-byte `unknown` tokens rather than errors: the server rejects such statements.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::protocol::cql {

enum class token_kind : std::uint8_t {
  identifier,          // unquoted name or keyword: [A-Za-z_][A-Za-z0-9_]*, case-insensitive
  quoted_identifier,   // "..." with "" for a quote inside; case-sensitive
  string_literal,      // '...' with '' for a quote inside
  dollar_string,       // $$...$$ (no escapes; used for function bodies)
  number,              // 12, 1.5, 1e-3, and integers with unit letters (durations: 1h30m)
  hex_blob,            // 0x followed by hex digits (a blob literal)
  uuid,                // 8-4-4-4-12 hex digits
  punctuation,         // one character, or one of <= >= != += -=
  positional_marker,   // ?
  named_marker,        // :name or :"Name" (see lexer::next for when ':' starts one)
  unknown,             // one byte that starts no token
  error,               // an unterminated construct; see token::error
};

enum class lex_error : std::uint8_t {
  none,
  unterminated_string,
  unterminated_quoted_identifier,
  unterminated_dollar_string,
  unterminated_comment,
};

struct token {
  token_kind kind = token_kind::unknown;
  lex_error error = lex_error::none;  // set only when kind == token_kind::error
  std::size_t offset = 0;             // byte offset of text in the lexed statement
  std::string_view text;              // the token's bytes, a view into the lexed statement

  std::size_t end() const noexcept { return offset + text.size(); }
  // True for an unquoted identifier equal to `keyword` ignoring ASCII case. Keywords are not
  // a separate kind: reserved words cannot be unquoted names, so this test is exact.
  bool is_keyword(std::string_view keyword) const noexcept;
  // True for a punctuation token whose text is exactly `p` ("(", "<=", ...).
  bool is_punct(std::string_view p) const noexcept;
  // True for an identifier or a quoted identifier.
  bool is_name() const noexcept {
    return kind == token_kind::identifier || kind == token_kind::quoted_identifier;
  }

  friend bool operator==(const token&, const token&) = default;
};

// Streams the tokens of `text`, which must outlive the lexer and its tokens.
class lexer {
 public:
  explicit lexer(std::string_view text) noexcept : text_(text) {}

  // The next token; nullopt at the end of the text and after an error token.
  // A ':' directly followed by a name starts a named bind marker unless the previous token
  // ends a term or names a field: after a name, literal, marker, ')' ']' or '}' it is the
  // ':' of a map or UDT literal ({'k':v}, {field:now()}). The unreserved keywords that take a
  // value (LIMIT, TTL, TIMESTAMP, JSON, KEY, OF, LIKE) and SELECT, IN, AND, BETWEEN, CONTAINS
  // do allow a marker after them, unless they directly follow '{' or ',' (then they are UDT
  // field names, as in {ttl: 5}).
  std::optional<token> next() noexcept;

 private:
  token make(token_kind kind, std::size_t start, std::size_t end) noexcept;
  token fail(lex_error error, std::size_t start) noexcept;
  std::optional<token> skip_trivia() noexcept;
  bool colon_starts_marker() const noexcept;
  token lex_colon(std::size_t start) noexcept;
  token lex_number(std::size_t start) noexcept;

  std::string_view text_;
  std::size_t pos_ = 0;
  bool finished_ = false;
  token prev_;   // the previous token, for ':' (see next()); empty text before the first
  token prev2_;  // the one before it
};

// All tokens of `text` in order. If the text has an unterminated construct, the last token
// has kind token_kind::error (its offset says where the construct began).
std::vector<token> tokenize(std::string_view text);

// ASCII case-insensitive equality (CQL keywords and unquoted names are ASCII).
bool iequals(std::string_view a, std::string_view b) noexcept;

// The name a name token denotes: an unquoted identifier lowercased (CQL folds unquoted names
// to lower case), a quoted identifier without its quotes and with "" turned into ". For a
// named marker, the name after the ':' by the same rules. Other tokens: their text.
std::string identifier_name(const token& t);

// True if the name token `t` denotes exactly `lower_name` (which must be lower case), without
// allocating: unquoted compares ignoring case, quoted compares exactly.
bool name_equals(const token& t, std::string_view lower_name) noexcept;

// The value of a string_literal ('' turned into ') or dollar_string (the bytes between $$).
// Other tokens: their text.
std::string string_value(const token& t);

const char* token_kind_name(token_kind k) noexcept;

}  // namespace tandem::protocol::cql
