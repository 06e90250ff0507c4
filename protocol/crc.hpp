// The checksums of the v5 framing format (spec v5 §2.1, §2.2): a CRC24 over each segment
// header and a CRC32 over each segment payload.
#pragma once

#include "protocol/types.hpp"

#include <cstdint>

namespace tandem::protocol {

// CRC24 of a v5 segment header (spec v5 §2.1): initial value 0x875060, polynomial 0x1974F0B,
// most significant bit first, no final xor. Accepts the header bytes as they travel on the wire
// (3 bytes uncompressed, 5 bytes with lz4) and returns the 24-bit CRC. Cassandra computes it over
// the header read as a little-endian integer, from its least significant byte up — which is the
// wire order, so the bytes are processed first to last.
std::uint32_t crc24(bytes_view header) noexcept;

// Standard CRC-32 (IEEE 802.3: reflected polynomial 0xEDB88320, initial value and final xor
// 0xFFFFFFFF), the value zlib's crc32() returns. `previous` continues an earlier result the way
// zlib's does, so crc32(b, crc32(a)) == crc32(a ‖ b). crc32("123456789") == 0xCBF43926.
std::uint32_t crc32(bytes_view data, std::uint32_t previous = 0) noexcept;

// The payload CRC of a v5 segment (spec v5 §2.1, §2.2): Cassandra seeds its CRC32 by first
// feeding the four bytes FA 2D 55 CA, then the payload as it is on the wire (compressed when
// lz4 is on). The segment trailer carries this value little-endian.
std::uint32_t segment_crc32(bytes_view payload) noexcept;

}  // namespace tandem::protocol
