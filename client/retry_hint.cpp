#include "client/retry_hint.hpp"

#include <cstdint>

namespace tandem::client {
namespace {

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Where `word` (lowercase) starts in `text`, case-insensitively; npos when absent.
std::size_t find_word(std::string_view text, std::string_view word) noexcept {
  for (std::size_t i = 0; i + word.size() <= text.size(); ++i) {
    std::size_t k = 0;
    while (k < word.size() && lower(text[i + k]) == word[k]) ++k;
    if (k == word.size()) return i;
  }
  return std::string_view::npos;
}

}  // namespace

std::optional<std::chrono::milliseconds> retry_after_hint(std::string_view message) noexcept {
  struct form {
    std::string_view word;
    bool millis;  // the number is in ms unless a unit after it says otherwise
  };
  constexpr form forms[] = {{"retryafterms", true}, {"retry-after", false}, {"retry after", false}};
  for (const auto& f : forms) {
    const auto at = find_word(message, f.word);
    if (at == std::string_view::npos) continue;
    std::size_t i = at + f.word.size();
    while (i < message.size() && (message[i] == ' ' || message[i] == '=' || message[i] == ':')) ++i;
    std::int64_t n = 0;
    std::size_t digits = 0;
    while (i < message.size() && message[i] >= '0' && message[i] <= '9' && digits < 9) {
      n = n * 10 + (message[i++] - '0');
      ++digits;
    }
    if (digits == 0) continue;
    while (i < message.size() && message[i] == ' ') ++i;
    const auto unit = message.substr(i, 2);
    const bool ms = f.millis || (unit.size() == 2 && lower(unit[0]) == 'm' && lower(unit[1]) == 's');
    return std::chrono::milliseconds(ms ? n : n * 1000);
  }
  return std::nullopt;
}

}  // namespace tandem::client
