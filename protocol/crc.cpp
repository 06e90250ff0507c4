#include "protocol/crc.hpp"

#include <array>

namespace tandem::protocol {
namespace {

constexpr std::uint32_t crc24_init = 0x875060;
constexpr std::uint32_t crc24_polynomial = 0x1974F0B;  // includes the x^24 term
constexpr std::uint32_t crc32_reflected_polynomial = 0xEDB88320;

// Slicing-by-8 (Kounavis and Berry, "A Systematic Approach to Building High Performance
// Software-based CRC Generators", 2005): table k holds the register after a byte followed by k
// zero bytes, so eight bytes are folded in with eight independent lookups instead of eight
// dependent ones. Table 0 is the classic one-byte table. A v5 connection checksums every
// byte it sends and receives: with one byte per step this was a fifth of the proxy's CPU
// with lz4 on (issue 17).
constexpr std::array<std::array<std::uint32_t, 256>, 8> make_crc32_tables() {
  std::array<std::array<std::uint32_t, 256>, 8> tables{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) {
      c = (c & 1u) != 0 ? (c >> 1) ^ crc32_reflected_polynomial : c >> 1;
    }
    tables[0][i] = c;
  }
  for (std::size_t k = 1; k < 8; ++k) {
    for (std::uint32_t i = 0; i < 256; ++i) {
      const std::uint32_t prev = tables[k - 1][i];
      tables[k][i] = tables[0][prev & 0xFFu] ^ (prev >> 8);
    }
  }
  return tables;
}

constexpr auto crc32_tables = make_crc32_tables();

// "CRC32 initial bytes" of Cassandra's transport (org.apache.cassandra.net.Crc).
constexpr std::array<std::byte, 4> segment_crc32_seed{std::byte{0xFA}, std::byte{0x2D},
                                                      std::byte{0x55}, std::byte{0xCA}};

// One entry per byte value: the CRC-24 register's change when that byte meets its top byte
// (MSB first). Two per segment, sent or received: a table instead of eight steps per bit.
constexpr std::array<std::uint32_t, 256> make_crc24_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t crc = i << 16;
    for (int bit = 0; bit < 8; ++bit) {
      crc <<= 1;
      if ((crc & 0x1000000u) != 0) {
        crc ^= crc24_polynomial;
      }
    }
    table[i] = crc & 0xFFFFFFu;
  }
  return table;
}

constexpr auto crc24_table = make_crc24_table();

}  // namespace

std::uint32_t crc24(bytes_view header) noexcept {
  std::uint32_t crc = crc24_init;
  for (const std::byte b : header) {
    const std::uint32_t top = ((crc >> 16) ^ std::to_integer<std::uint8_t>(b)) & 0xFFu;
    crc = ((crc << 8) & 0xFFFFFFu) ^ crc24_table[top];
  }
  return crc;
}

std::uint32_t crc32(bytes_view data, std::uint32_t previous) noexcept {
  const auto& t = crc32_tables;
  std::uint32_t c = previous ^ 0xFFFFFFFFu;
  const std::byte* p = data.data();
  std::size_t n = data.size();
  const auto at = [&p](std::size_t i) { return std::uint32_t{std::to_integer<std::uint8_t>(p[i])}; };
  while (n >= 8) {
    // The register is little-endian in the stream: its low byte meets the first byte.
    const std::uint32_t lo = c ^ (at(0) | at(1) << 8 | at(2) << 16 | at(3) << 24);
    const std::uint32_t hi = at(4) | at(5) << 8 | at(6) << 16 | at(7) << 24;
    c = t[7][lo & 0xFFu] ^ t[6][(lo >> 8) & 0xFFu] ^ t[5][(lo >> 16) & 0xFFu] ^ t[4][lo >> 24] ^
        t[3][hi & 0xFFu] ^ t[2][(hi >> 8) & 0xFFu] ^ t[1][(hi >> 16) & 0xFFu] ^ t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  for (std::size_t i = 0; i < n; ++i) {
    c = t[0][(c ^ at(i)) & 0xFFu] ^ (c >> 8);
  }
  return c ^ 0xFFFFFFFFu;
}

std::uint32_t segment_crc32(bytes_view payload) noexcept {
  return crc32(payload, crc32(segment_crc32_seed));
}

}  // namespace tandem::protocol
