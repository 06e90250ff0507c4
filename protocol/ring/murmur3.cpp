#include "protocol/ring/murmur3.hpp"

#include <algorithm>
#include <limits>

namespace tandem::protocol {

namespace {

constexpr std::uint64_t c1 = 0x87c37b91114253d5ULL;
constexpr std::uint64_t c2 = 0x4cf5ad432745937fULL;

constexpr std::uint64_t rotl(std::uint64_t v, int r) noexcept { return (v << r) | (v >> (64 - r)); }

constexpr std::uint64_t fmix(std::uint64_t k) noexcept {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

// A 16-byte block's halves are little-endian unsigned bytes.
std::uint64_t block(bytes_view key, std::size_t at) noexcept {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) {
    v = (v << 8) | static_cast<std::uint8_t>(key[at + static_cast<std::size_t>(i)]);
  }
  return v;
}

// The mix of each 8-byte half before it enters h1 or h2 (the same for a block and the tail).
constexpr std::uint64_t mix_k1(std::uint64_t k) noexcept { return rotl(k * c1, 31) * c2; }
constexpr std::uint64_t mix_k2(std::uint64_t k) noexcept { return rotl(k * c2, 33) * c1; }

// A tail byte as Java reads it, a signed byte widened to a long (sign extension).
std::uint64_t signed_byte(std::byte b) noexcept {
  return static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int8_t>(b)));
}

}  // namespace

std::int64_t murmur3_token(bytes_view key) noexcept {
  const std::size_t length = key.size();
  const std::size_t blocks = length / 16;
  std::uint64_t h1 = 0;
  std::uint64_t h2 = 0;
  for (std::size_t i = 0; i < blocks; ++i) {
    h1 ^= mix_k1(block(key, i * 16));
    h1 = rotl(h1, 27);
    h1 += h2;
    h1 = h1 * 5 + 0x52dce729;
    h2 ^= mix_k2(block(key, i * 16 + 8));
    h2 = rotl(h2, 31);
    h2 += h1;
    h2 = h2 * 5 + 0x38495ab5;
  }
  const std::size_t tail = blocks * 16;
  const std::size_t rest = length & 15;
  std::uint64_t k1 = 0;
  std::uint64_t k2 = 0;
  for (std::size_t i = rest; i > 8; --i) {
    k2 ^= signed_byte(key[tail + i - 1]) << (8 * (i - 9));
  }
  if (rest > 8) {
    h2 ^= mix_k2(k2);
  }
  for (std::size_t i = std::min<std::size_t>(rest, 8); i > 0; --i) {
    k1 ^= signed_byte(key[tail + i - 1]) << (8 * (i - 1));
  }
  if (rest > 0) {
    h1 ^= mix_k1(k1);
  }
  h1 ^= length;
  h2 ^= length;
  h1 += h2;
  h2 += h1;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h1 += h2;
  const auto token = static_cast<std::int64_t>(h1);
  return token == std::numeric_limits<std::int64_t>::min() ? std::numeric_limits<std::int64_t>::max()
                                                           : token;
}

namespace {
// A component of a routing key: present, and its length fits CompositeType's 2-byte length.
bool routable(const std::optional<bytes_view>& c) noexcept { return c && c->size() <= 0xffff; }
}  // namespace

std::optional<bytes> routing_key(std::span<const std::optional<bytes_view>> components) {
  if (components.empty() || !std::all_of(components.begin(), components.end(), routable)) {
    return std::nullopt;
  }
  if (components.size() == 1) {
    return bytes(components[0]->begin(), components[0]->end());
  }
  bytes out;
  for (const auto& c : components) {
    out.push_back(static_cast<std::byte>(c->size() >> 8));
    out.push_back(static_cast<std::byte>(c->size() & 0xff));
    out.insert(out.end(), c->begin(), c->end());
    out.push_back(std::byte{0});
  }
  return out;
}

std::optional<std::int64_t> routing_token(std::span<const std::optional<bytes_view>> components) {
  if (components.size() == 1) {
    // One column: the routing key is the value itself, hashed where it lies (no copy: the
    // proxy computes this for every token-aware EXECUTE, issue 17).
    if (!routable(components.front())) {
      return std::nullopt;
    }
    return murmur3_token(*components.front());
  }
  auto key = routing_key(components);
  if (!key) {
    return std::nullopt;
  }
  return murmur3_token(*key);
}

}  // namespace tandem::protocol
