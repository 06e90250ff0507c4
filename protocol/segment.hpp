// The v5 outer framing (spec v5 §2): after READY/AUTHENTICATE, envelopes (9-byte header + body,
// spec v5 §2.4) travel inside segments — called "frames" in the spec; "segment" here so they
// are not confused with the v3/v4 frames of frame.hpp.
//
//   uncompressed: header 6 bytes = 3-byte LE int {payload length:17, self-contained:1, pad:6}
//                 + 3-byte LE CRC24 of those 3 bytes; payload; 4-byte LE CRC32 of the payload.
//   lz4:          header 8 bytes = 5-byte LE int {compressed length:17, uncompressed length:17,
//                 self-contained:1, pad:5} + 3-byte LE CRC24 of those 5 bytes; compressed
//                 payload; 4-byte LE CRC32 of the compressed payload. An uncompressed length of
//                 0 means the payload is stored as is (spec v5 §2.2; §2.3.2 says "compressed
//                 length" there, but Cassandra's FrameDecoderLZ4 and the drivers follow §2.2).
//
// A self-contained segment holds one or more whole envelopes; a large envelope is split across
// consecutive segments that are not self-contained.
#pragma once

#include "protocol/error.hpp"
#include "protocol/frame.hpp"
#include "protocol/types.hpp"

#include <optional>
#include <span>

namespace tandem::protocol {

// Largest payload of one segment, before compression: the length fields have 17 bits.
inline constexpr std::size_t max_segment_payload = (std::size_t{1} << 17) - 1;
inline constexpr std::size_t segment_header_size = 6;      // without compression
inline constexpr std::size_t lz4_segment_header_size = 8;  // with lz4
inline constexpr std::size_t segment_trailer_size = 4;     // CRC32 of the payload

// One decoded segment; the payload is uncompressed envelope bytes and owned.
struct segment {
  bool self_contained = true;
  bytes payload;

  friend bool operator==(const segment&, const segment&) = default;
};

// The outcome of one decode step: no segment and consumed 0 when more bytes are needed, or one
// segment that took `consumed` bytes of the input.
struct segment_step {
  std::size_t consumed = 0;
  std::optional<segment> decoded;
};

// Encodes one segment. payload: at most max_segment_payload bytes (a larger payload is a broken
// invariant and asserts). With lz4, a payload that does not shrink is written uncompressed with
// an uncompressed length of 0, as Cassandra does (spec v5 §2.2).
bytes encode_segment(bytes_view payload, bool self_contained, bool lz4);
// The same appended to `out`.
void append_segment(bytes_view payload, bool self_contained, bool lz4, bytes& out);

// Incremental decoder: looks at the bytes received so far. The header CRC24 is checked as soon
// as the header is there, before waiting for the payload, so a corrupt length cannot stall the
// connection. Errors (all final — the stream cannot be resynchronised): crc_mismatch (header
// CRC24 or payload CRC32), decompression_failed (lz4 block corrupt or not the declared length).
result<segment_step> decode_segment(bytes_view in, bool lz4);

// Packs whole envelopes into as few self-contained segments as fit (each payload at most
// max_segment_payload bytes, envelopes kept in order); an envelope larger than that is sent
// alone, split across consecutive segments that are not self-contained. Returns the
// concatenated segments (empty for no envelopes).
bytes encode_envelopes_to_segments(std::span<const bytes_view> envelopes, bool lz4);

// Turns a stream of segments back into envelopes. Feed it bytes as they arrive; then call
// next() until it returns std::nullopt (more bytes needed) before feeding more. Memory stays
// bounded when used that way: the unread input is under one segment, the current
// self-contained payload under max_segment_payload, and an envelope being reassembled from
// several segments at most 9 + limits.max_body bytes — its header is checked against the limit
// as soon as its first 9 bytes are in.
class segment_reassembler {
 public:
  explicit segment_reassembler(bool lz4, frame_limits limits = {}) noexcept
      : lz4_(lz4), limits_(limits) {}

  // Appends bytes received from the peer.
  void feed(bytes_view data);

  // The next complete envelope (9-byte header + body, owned), or std::nullopt when more input
  // is needed. Errors are final (every later call returns the same error): those of
  // decode_segment; those of decode_frame_header for an envelope header (frame_too_long,
  // unsupported_version, unknown_opcode); bad_value for a self-contained segment that ends in
  // the middle of an envelope, a self-contained segment arriving while a split envelope is
  // incomplete, or a non-self-contained segment carrying more bytes than its envelope declares.
  result<std::optional<bytes>> next();

  // Bytes held: unread input, the current payload, a partial envelope (for metrics and tests).
  std::size_t buffered_bytes() const noexcept;

 private:
  result<std::optional<bytes>> next_in_payload();
  result<std::optional<bytes>> add_to_partial(bytes_view piece);
  result<std::optional<bytes>> fail(boost::system::error_code ec);

  bool lz4_;
  frame_limits limits_;
  bytes input_;                   // received, not yet decoded into segments
  std::size_t input_pos_ = 0;     // start of the unread part of input_
  bytes payload_;                 // the current self-contained segment's payload
  std::size_t payload_pos_ = 0;   // start of its next envelope
  bytes partial_;                 // an envelope split across non-self-contained segments
  std::size_t partial_total_ = 0; // its whole size once its header is in, else 0
  boost::system::error_code failed_;
};

}  // namespace tandem::protocol
