// The CQL lexer: every token kind, comments, escapes, and unterminated input.
#include "protocol/cql/lexer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tandem::protocol::cql {
namespace {

// "kind:text" for every token, joined by spaces: one string to compare per test.
std::string describe(std::string_view text) {
  std::string out;
  for (const token& t : tokenize(text)) {
    if (!out.empty()) {
      out += ' ';
    }
    out += token_kind_name(t.kind);
    out += ':';
    out += t.text;
  }
  return out;
}

TEST(CqlLexer, SplitsASelectIntoIdentifiersAndPunctuation) {
  EXPECT_EQ(describe("SELECT a,b FROM ks.t;"),
            "identifier:SELECT identifier:a punctuation:, identifier:b identifier:FROM "
            "identifier:ks punctuation:. identifier:t punctuation:;");
}

TEST(CqlLexer, GivesOffsetsAndLengthsIntoTheOriginalText) {
  const std::string_view text = "  select\t\"A\" -- c\n, 'x'";
  const auto toks = tokenize(text);
  ASSERT_EQ(toks.size(), 4u);
  EXPECT_EQ(toks[0].offset, 2u);
  EXPECT_EQ(toks[0].text.size(), 6u);
  EXPECT_EQ(toks[1].offset, 9u);
  EXPECT_EQ(toks[1].kind, token_kind::quoted_identifier);
  EXPECT_EQ(toks[2].offset, 18u);
  EXPECT_EQ(toks[3].offset, 20u);
  EXPECT_EQ(toks[3].end(), text.size());
  for (const token& t : toks) {
    EXPECT_EQ(text.substr(t.offset, t.text.size()), t.text);
  }
}

TEST(CqlLexer, ReadsStringLiteralsWithDoubledQuotes) {
  const auto toks = tokenize("'it''s' '' 'a\nb'");
  ASSERT_EQ(toks.size(), 3u);
  EXPECT_EQ(toks[0].kind, token_kind::string_literal);
  EXPECT_EQ(toks[0].text, "'it''s'");
  EXPECT_EQ(string_value(toks[0]), "it's");
  EXPECT_EQ(string_value(toks[1]), "");
  EXPECT_EQ(string_value(toks[2]), "a\nb");
}

TEST(CqlLexer, ReadsDollarStringsWithoutEscapes) {
  const auto toks = tokenize("$$ return 'now()'; $$ $$$$");
  ASSERT_EQ(toks.size(), 2u);
  EXPECT_EQ(toks[0].kind, token_kind::dollar_string);
  EXPECT_EQ(string_value(toks[0]), " return 'now()'; ");
  EXPECT_EQ(toks[1].kind, token_kind::dollar_string);
  EXPECT_EQ(string_value(toks[1]), "");
}

TEST(CqlLexer, KeepsQuotedIdentifiersExactAndFoldsUnquotedOnes) {
  const auto toks = tokenize("\"MyTable\" \"weird\"\"name\" MyTable");
  ASSERT_EQ(toks.size(), 3u);
  EXPECT_EQ(toks[0].kind, token_kind::quoted_identifier);
  EXPECT_EQ(identifier_name(toks[0]), "MyTable");
  EXPECT_EQ(identifier_name(toks[1]), "weird\"name");
  EXPECT_EQ(toks[2].kind, token_kind::identifier);
  EXPECT_EQ(identifier_name(toks[2]), "mytable");
  EXPECT_TRUE(name_equals(toks[2], "mytable"));
  EXPECT_FALSE(name_equals(toks[0], "mytable"));
}

TEST(CqlLexer, ComparesKeywordsIgnoringCaseButNeverInsideQuotes) {
  const auto toks = tokenize("SeLeCt \"select\" 'select'");
  ASSERT_EQ(toks.size(), 3u);
  EXPECT_TRUE(toks[0].is_keyword("select"));
  EXPECT_TRUE(toks[0].is_keyword("SELECT"));
  EXPECT_FALSE(toks[1].is_keyword("select"));
  EXPECT_FALSE(toks[2].is_keyword("select"));
  EXPECT_TRUE(iequals("Now", "nOW"));
  EXPECT_FALSE(iequals("now", "nowx"));
}

TEST(CqlLexer, ReadsNumbersDurationsBlobsAndUuids) {
  EXPECT_EQ(describe("12 1.5 1e10 1.5E-3 2. 1h30m 0xCAFE 0x"),
            "number:12 number:1.5 number:1e10 number:1.5E-3 number:2. number:1h30m "
            "hex_blob:0xCAFE hex_blob:0x");
  EXPECT_EQ(describe("550e8400-e29b-41d4-a716-446655440000 deadbeef-dead-beef-dead-beefdeadbeef"),
            "uuid:550e8400-e29b-41d4-a716-446655440000 uuid:deadbeef-dead-beef-dead-beefdeadbeef");
  EXPECT_EQ(describe("deadbeef-dead"), "identifier:deadbeef punctuation:- identifier:dead");
}

TEST(CqlLexer, NeverMakesASignPartOfANumber) {
  EXPECT_EQ(describe("c = c -1"),
            "identifier:c punctuation:= identifier:c punctuation:- number:1");
  EXPECT_EQ(describe("1.5x 1e5x"), "number:1.5 identifier:x number:1e5 identifier:x");
}

TEST(CqlLexer, ReadsTwoCharacterOperators) {
  EXPECT_EQ(describe("a<=b>=c!=d+=1-=2<>"),
            "identifier:a punctuation:<= identifier:b punctuation:>= identifier:c "
            "punctuation:!= identifier:d punctuation:+= number:1 punctuation:-= number:2 "
            "punctuation:< punctuation:>");
}

TEST(CqlLexer, ReadsPositionalAndNamedBindMarkers) {
  EXPECT_EQ(describe("k = ? AND v = :val AND w IN :list LIMIT :n"),
            "identifier:k punctuation:= positional_marker:? identifier:AND identifier:v "
            "punctuation:= named_marker::val identifier:AND identifier:w identifier:IN "
            "named_marker::list identifier:LIMIT named_marker::n");
  const auto toks = tokenize("(:\"Quoted\", :Plain)");
  ASSERT_EQ(toks.size(), 5u);
  EXPECT_EQ(toks[1].kind, token_kind::named_marker);
  EXPECT_EQ(identifier_name(toks[1]), "Quoted");
  EXPECT_EQ(identifier_name(toks[3]), "plain");
}

TEST(CqlLexer, TreatsTheColonOfMapAndUdtLiteralsAsPunctuation) {
  EXPECT_EQ(describe("{f:now()}"),
            "punctuation:{ identifier:f punctuation:: identifier:now punctuation:( "
            "punctuation:) punctuation:}");
  EXPECT_EQ(describe("{'k':v}"),
            "punctuation:{ string_literal:'k' punctuation:: identifier:v punctuation:}");
  EXPECT_EQ(describe("{ttl:x, limit:y}"),
            "punctuation:{ identifier:ttl punctuation:: identifier:x punctuation:, "
            "identifier:limit punctuation:: identifier:y punctuation:}");
  EXPECT_EQ(describe("{'k'::v}"),
            "punctuation:{ string_literal:'k' punctuation:: named_marker::v punctuation:}");
  EXPECT_EQ(describe("USING TTL :t"), "identifier:USING identifier:TTL named_marker::t");
  EXPECT_EQ(describe("SELECT :x"), "identifier:SELECT named_marker::x");
  EXPECT_EQ(describe("m[:k] + :v"),
            "identifier:m punctuation:[ named_marker::k punctuation:] punctuation:+ "
            "named_marker::v");
  EXPECT_EQ(describe("a : b"), "identifier:a punctuation:: identifier:b");
}

TEST(CqlLexer, SkipsAllThreeCommentStyles) {
  EXPECT_EQ(describe("a -- IF now()\nb // 'x\r c /* IF \n now() */ d --"),
            "identifier:a identifier:b identifier:c identifier:d");
  EXPECT_EQ(describe("a//b"), "identifier:a");
  EXPECT_EQ(describe("/**/x/* * / */y"), "identifier:x identifier:y");
}

TEST(CqlLexer, EndsBlockCommentsAtTheFirstCloseBecauseTheyDoNotNest) {
  EXPECT_EQ(describe("/* a /* b */ c */"),
            "identifier:c punctuation:* punctuation:/");
}

TEST(CqlLexer, ReportsUnterminatedConstructsAsOneErrorTokenAtTheirStart) {
  struct row {
    std::string_view text;
    lex_error error;
    std::size_t offset;
  };
  const std::vector<row> rows{
      {"SELECT 'abc", lex_error::unterminated_string, 7},
      {"SELECT 'it''s", lex_error::unterminated_string, 7},
      {"'", lex_error::unterminated_string, 0},
      {"x \"My", lex_error::unterminated_quoted_identifier, 2},
      {"x \"a\"\"", lex_error::unterminated_quoted_identifier, 2},
      {"AS $$ body $", lex_error::unterminated_dollar_string, 3},
      {"$$$", lex_error::unterminated_dollar_string, 0},
      {"a /* b", lex_error::unterminated_comment, 2},
      {"/*/", lex_error::unterminated_comment, 0},
      {"k = :\"Name", lex_error::unterminated_quoted_identifier, 4},
  };
  for (const auto& r : rows) {
    const auto toks = tokenize(r.text);
    ASSERT_FALSE(toks.empty()) << r.text;
    const token& last = toks.back();
    EXPECT_EQ(last.kind, token_kind::error) << r.text;
    EXPECT_EQ(last.error, r.error) << r.text;
    EXPECT_EQ(last.offset, r.offset) << r.text;
    EXPECT_EQ(last.end(), r.text.size()) << r.text;
  }
}

TEST(CqlLexer, StopsAfterAnErrorToken) {
  lexer lx("a 'b");
  ASSERT_TRUE(lx.next().has_value());
  const auto err = lx.next();
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->kind, token_kind::error);
  EXPECT_FALSE(lx.next().has_value());
  EXPECT_FALSE(lx.next().has_value());
}

TEST(CqlLexer, TurnsStrayBytesIntoUnknownTokensAndKeepsGoing) {
  const std::string text = std::string("a \x01 \xc3\xa9 b") + '\0' + "c";
  EXPECT_EQ(tokenize(text).size(), 7u);
  EXPECT_EQ(tokenize(text)[1].kind, token_kind::unknown);
  EXPECT_EQ(tokenize(text)[2].kind, token_kind::unknown);
  EXPECT_EQ(describe("@ # $ x"),
            "punctuation:@ punctuation:# punctuation:$ identifier:x");
}

TEST(CqlLexer, ReturnsNoTokensForEmptyOrCommentOnlyText) {
  EXPECT_TRUE(tokenize("").empty());
  EXPECT_TRUE(tokenize(" \t\r\n").empty());
  EXPECT_TRUE(tokenize("-- only\n// comments\n/* here */").empty());
}

TEST(CqlLexer, NamesEveryTokenKind) {
  EXPECT_STREQ(token_kind_name(token_kind::identifier), "identifier");
  EXPECT_STREQ(token_kind_name(token_kind::error), "error");
  EXPECT_STREQ(token_kind_name(token_kind::named_marker), "named_marker");
}

}  // namespace
}  // namespace tandem::protocol::cql
