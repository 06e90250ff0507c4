// The byte stream of one CQL connection, in one direction each way, as frames: unframed frames
// until the handshake ends, then (v5) segments, with the compression the STARTUP agreed
// (spec v4 §2.2 and §5, spec v5 §2.3). Pure: bytes in, frames out; the caller owns the socket.
#pragma once

#include "protocol/buffer_pool.hpp"
#include "protocol/compression.hpp"
#include "protocol/error.hpp"
#include "protocol/frame.hpp"
#include "protocol/segment.hpp"

#include <optional>

namespace tandem::protocol {

// A frame with its body decompressed and the compression flag cleared. Its body goes back to
// this thread's buffer_pool when it is destroyed: connection_codec::next() takes the body of
// the next decoded frame from there (issue 17: three bodies per mirrored write, the request
// and both answers, no longer allocated in the steady state).
struct owned_frame {
  frame_header header;
  bytes body;

  owned_frame() = default;
  owned_frame(const frame_header& h, bytes b) noexcept : header(h), body(std::move(b)) {}
  owned_frame(const owned_frame&) = default;
  owned_frame(owned_frame&&) noexcept = default;
  owned_frame& operator=(const owned_frame&) = default;
  owned_frame& operator=(owned_frame&&) noexcept = default;
  ~owned_frame() { buffer_pool::give_back(std::move(body)); }
};

class connection_codec {
 public:
  explicit connection_codec(frame_limits limits = {}) : limits_(limits), reassembler_(false, limits) {}

  // Called once the handshake has ended in this direction (READY or AUTHENTICATE sent or
  // received). From then on v5 uses segments and every version uses `c`.
  void begin_framing(protocol_version v, compression_algorithm c);
  // Agreed compression that applies before framing begins: the answer to STARTUP may already
  // be compressed in v3/v4 (spec v4 §2.2).
  void set_compression(compression_algorithm c) { compression_ = c; }

  bool framed() const noexcept { return framed_; }
  compression_algorithm compression() const noexcept { return compression_; }

  void feed(bytes_view data);
  // The next complete frame, std::nullopt when more bytes are needed, or an error (the
  // connection must then be closed: the stream cannot be resynchronised).
  result<std::optional<owned_frame>> next();
  // Bytes not decoded yet.
  std::size_t buffered_bytes() const noexcept;
  // Bytes the codec holds in memory, including decoded bytes it has not dropped yet; stays
  // within about twice the bytes in flight plus a small threshold (see feed()).
  std::size_t held_bytes() const noexcept;

  // Encodes one frame for the wire (body uncompressed on input).
  bytes encode(const frame_header& h, bytes_view body) const;
  // The same, written over `out` (its capacity reused when the frame goes out as it is:
  // unframed and uncompressed, the steady state of v3/v4 without compression).
  void encode_into(const frame_header& h, bytes_view body, bytes& out) const;

 private:
  result<owned_frame> finish(frame_header h, bytes body) const;

  frame_limits limits_;
  compression_algorithm compression_ = compression_algorithm::none;
  bool framed_ = false;
  // feed() moves the unread bytes of pending_ to its front once this many have been decoded
  // (or half of it has), so pending_ stays bounded by what is in flight (see feed()).
  static constexpr std::size_t compact_threshold = 64 * 1024;

  bytes pending_;
  std::size_t pending_pos_ = 0;  // start of the bytes of pending_ not decoded yet
  segment_reassembler reassembler_;
};

}  // namespace tandem::protocol
