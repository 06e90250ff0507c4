// Body compression of protocol v3/v4 (spec v4 §5): after STARTUP negotiated an algorithm, a
// frame whose header has the compression flag carries a compressed body; the 9-byte header
// itself is never compressed. v5 compresses whole segments instead (segment.hpp) and ignores
// the flag (spec v5 §2.4).
#pragma once

#include "protocol/error.hpp"
#include "protocol/frame.hpp"
#include "protocol/types.hpp"

#include <cstdint>
#include <string_view>

namespace tandem::protocol {

enum class compression_algorithm : std::uint8_t { none, lz4, snappy };

// Parses the value of the STARTUP "COMPRESSION" option (spec v4 §4.1.1): "lz4" or "snappy",
// compared without regard to case as Cassandra does. Anything else: errc::bad_value.
result<compression_algorithm> parse_compression_algorithm(std::string_view name) noexcept;

// The option value to send in STARTUP: "lz4", "snappy", or "" for none.
const char* compression_algorithm_name(compression_algorithm a) noexcept;

// Compresses a frame body. lz4: a 4-byte big-endian uncompressed length, then one LZ4 block
// (spec v4 §5); snappy: raw snappy; none: a copy. Errors: compression_failed when the body is
// beyond what the library accepts (LZ4: about 2 GiB).
result<bytes> compress_body(compression_algorithm a, bytes_view body);

// Decompresses a frame body compressed by compress_body (or any conforming peer). The declared
// uncompressed length is checked against max_uncompressed BEFORE any allocation, so a 20-byte
// body cannot make us allocate 4 GiB. Errors: frame_too_long (declared length above
// max_uncompressed), decompression_failed (corrupt input, or output not the declared length).
// none: a copy, frame_too_long if above max_uncompressed.
result<bytes> decompress_body(compression_algorithm a, bytes_view body,
                              std::size_t max_uncompressed);

// Whole-frame helpers for a proxy whose client and cluster negotiated different compression.
// Both accept exactly one frame (9-byte header + body_length bytes); errors: those of
// decode_frame_header, truncated (body shorter than declared), trailing_bytes (longer).
// v5 envelopes are returned unchanged: their flag is ignored (spec v5 §2.4).
//
// decompress_frame: a frame with the compression flag comes back with its body decompressed
// (at most limits.max_body bytes), the flag cleared and the length updated; a frame without
// the flag comes back unchanged. A flagged frame when `a` is none: errc::bad_value (the peer
// compressed without having negotiated it).
result<bytes> decompress_frame(compression_algorithm a, bytes_view frame,
                               const frame_limits& limits = {});

// compress_frame: the reverse — compresses the body and sets the flag. Returned unchanged when
// `a` is none, when the flag is already set, and for STARTUP, which must never be compressed
// (spec v4 §5).
result<bytes> compress_frame(compression_algorithm a, bytes_view frame);

}  // namespace tandem::protocol
