#include "unit/test_hex.hpp"

#include <stdexcept>

namespace tandem::test {

protocol::bytes from_hex(std::string_view text) {
  protocol::bytes out;
  int pending = -1;
  bool in_comment = false;
  for (char c : text) {
    if (in_comment) {
      in_comment = c != '\n';
      continue;
    }
    if (c == '#') {
      in_comment = true;
      continue;
    }
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == ':') {
      continue;
    } else {
      throw std::invalid_argument("from_hex: not a hex digit");
    }
    if (pending < 0) {
      pending = v;
    } else {
      out.push_back(static_cast<std::byte>(pending * 16 + v));
      pending = -1;
    }
  }
  if (pending >= 0) {
    throw std::invalid_argument("from_hex: odd number of hex digits");
  }
  return out;
}

std::string to_hex(protocol::bytes_view b) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(b.size() * 2);
  for (auto x : b) {
    const auto v = std::to_integer<unsigned>(x);
    out.push_back(digits[v >> 4]);
    out.push_back(digits[v & 0xF]);
  }
  return out;
}

protocol::bytes text_bytes(std::string_view text) {
  protocol::bytes out;
  out.reserve(text.size());
  for (const char c : text) {
    out.push_back(static_cast<std::byte>(c));
  }
  return out;
}

}  // namespace tandem::test
