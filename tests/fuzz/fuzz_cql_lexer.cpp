// libFuzzer target for the CQL lexer and classifier. Arbitrary bytes are statement text.
// Invariants checked (a violation traps):
//  - tokens are in order, non-overlapping, non-empty views inside the text; only the last may
//    be an error token and it runs to the end of the text;
//  - re-lexing the token texts joined by single spaces gives the same kinds and texts, and
//    classifies the same (everything but offsets), since classification reads only tokens;
//  - classify fails exactly when the text has an error token;
//  - calls are sorted, non-overlapping and inside the text, and replace_calls with the call
//    texts themselves gives back the input.
#include "protocol/cql/classifier.hpp"
#include "protocol/cql/lexer.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cql = tandem::protocol::cql;

namespace {

void check(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

void check_tokens(std::string_view text, const std::vector<cql::token>& toks) {
  std::size_t pos = 0;
  for (std::size_t i = 0; i < toks.size(); ++i) {
    const cql::token& t = toks[i];
    check(!t.text.empty() && t.offset >= pos && t.end() <= text.size());
    check(t.text.data() == text.data() + t.offset);
    check((t.kind == cql::token_kind::error) == (t.error != cql::lex_error::none));
    if (t.kind == cql::token_kind::error) {
      check(i + 1 == toks.size() && t.end() == text.size());
    }
    pos = t.end();
  }
}

// Everything classify() says except the offsets, which differ in the re-joined text.
void check_same_facts(cql::statement_info a, cql::statement_info b) {
  check(a.calls.size() == b.calls.size());
  for (std::size_t i = 0; i < a.calls.size(); ++i) {
    check(a.calls[i].function == b.calls[i].function);
  }
  a.calls.clear();
  b.calls.clear();
  a.end_offset = 0;
  b.end_offset = 0;
  check(a == b);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::vector<cql::token> toks = cql::tokenize(text);
  check_tokens(text, toks);
  const bool has_error = !toks.empty() && toks.back().kind == cql::token_kind::error;

  std::string joined;
  for (const cql::token& t : toks) {
    joined += joined.empty() ? "" : " ";
    joined += t.text;
  }
  const std::vector<cql::token> again = cql::tokenize(joined);
  check(again.size() == toks.size());
  for (std::size_t i = 0; i < toks.size(); ++i) {
    check(again[i].kind == toks[i].kind && again[i].text == toks[i].text &&
          again[i].error == toks[i].error);
  }

  const auto info = cql::classify(text);
  check(info.has_value() != has_error);
  if (!info) {
    return 0;
  }
  check(info->end_offset <= text.size());
  std::size_t pos = 0;
  std::vector<std::string_view> same;
  for (const cql::function_call& c : info->calls) {
    check(c.offset >= pos && c.length > 0 && c.offset + c.length <= text.size());
    pos = c.offset + c.length;
    same.push_back(text.substr(c.offset, c.length));
  }
  check(cql::replace_calls(text, info->calls, same) == text);
  check_same_facts(*info, cql::classify(joined).value());
  return 0;
}
