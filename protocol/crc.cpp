#include "protocol/crc.hpp"

#include <array>

namespace tandem::protocol {
namespace {

constexpr std::uint32_t crc24_init = 0x875060;
constexpr std::uint32_t crc24_polynomial = 0x1974F0B;  // includes the x^24 term
constexpr std::uint32_t crc32_reflected_polynomial = 0xEDB88320;

// One entry per byte value: the CRC-32 register after shifting that byte through it.
constexpr std::array<std::uint32_t, 256> make_crc32_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) {
      c = (c & 1u) != 0 ? (c >> 1) ^ crc32_reflected_polynomial : c >> 1;
    }
    table[i] = c;
  }
  return table;
}

constexpr auto crc32_table = make_crc32_table();

// "CRC32 initial bytes" of Cassandra's transport (org.apache.cassandra.net.Crc).
constexpr std::array<std::byte, 4> segment_crc32_seed{std::byte{0xFA}, std::byte{0x2D},
                                                      std::byte{0x55}, std::byte{0xCA}};

}  // namespace

std::uint32_t crc24(bytes_view header) noexcept {
  // Bitwise on purpose: a header is 3 or 5 bytes, a table would cost more than it saves.
  std::uint32_t crc = crc24_init;
  for (const std::byte b : header) {
    crc ^= std::uint32_t{std::to_integer<std::uint8_t>(b)} << 16;
    for (int bit = 0; bit < 8; ++bit) {
      crc <<= 1;
      if ((crc & 0x1000000u) != 0) {
        crc ^= crc24_polynomial;
      }
    }
  }
  return crc & 0xFFFFFFu;
}

std::uint32_t crc32(bytes_view data, std::uint32_t previous) noexcept {
  std::uint32_t c = previous ^ 0xFFFFFFFFu;
  for (const std::byte b : data) {
    c = crc32_table[(c ^ std::to_integer<std::uint8_t>(b)) & 0xFFu] ^ (c >> 8);
  }
  return c ^ 0xFFFFFFFFu;
}

std::uint32_t segment_crc32(bytes_view payload) noexcept {
  return crc32(payload, crc32(segment_crc32_seed));
}

}  // namespace tandem::protocol
