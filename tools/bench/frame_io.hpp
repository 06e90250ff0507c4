// Frames in and out of one CQL connection for the bench tools, on top of protocol/: unframed
// frames until the handshake ends, then (v5) segments, with the compression STARTUP agreed
// (spec v4 §2.2, §5; spec v5 §2.3). Pure: bytes in, frames out; the caller owns the socket.
//
// Unlike protocol::connection_codec this hands out views instead of owned bodies, decompresses
// a body only when asked (a load generator never looks at the rows it gets back), lets the
// socket read straight into its buffer, and packs every frame queued between two writes into
// one buffer (one write, and in v5 as few segments as fit).
#pragma once

#include "protocol/compression.hpp"
#include "protocol/frame.hpp"
#include "protocol/segment.hpp"

#include <optional>
#include <span>

namespace tandem::bench {

// One frame as received: its header and its body as on the wire (compressed when
// header.flags has the compression bit in v3/v4). Valid until the next call on the reader.
struct frame_in {
  protocol::frame_header header;
  protocol::bytes_view body;
};

class frame_reader {
 public:
  explicit frame_reader(protocol::frame_limits limits = {}) : limits_(limits), segments_(false, limits) {}

  // v3/v4 body compression, from the moment STARTUP asked for it (spec v4 §5).
  void set_compression(protocol::compression_algorithm c) noexcept { compression_ = c; }
  // v5: everything after READY / AUTHENTICATE travels in segments (spec v5 §2.3.1); bytes
  // already received past the last frame are the start of the first segment.
  void begin_segments(bool lz4);
  bool segmented() const noexcept { return segmented_; }
  // Unframed bytes received and not yet decoded (part of a frame).
  std::size_t buffered() const noexcept { return end_ - read_pos_; }

  // Where the socket may write up to n bytes, then commit how many it wrote.
  std::span<std::byte> prepare(std::size_t n);
  void commit(std::size_t n);
  void feed(protocol::bytes_view data);

  // The next complete frame, std::nullopt when more bytes are needed, or a final error.
  protocol::result<std::optional<frame_in>> next();

  // The body of f decompressed if it needs to be (a view into the reader, or into f.body).
  protocol::result<protocol::bytes_view> plain_body(const frame_in& f);

 private:
  protocol::frame_limits limits_;
  protocol::compression_algorithm compression_ = protocol::compression_algorithm::none;
  bool segmented_ = false;
  protocol::bytes buffer_;
  std::size_t read_pos_ = 0;  // start of the unread bytes in buffer_
  std::size_t end_ = 0;       // end of the received bytes in buffer_
  protocol::segment_reassembler segments_;
  protocol::bytes envelope_;  // the current envelope (v5)
  protocol::bytes plain_;     // the current decompressed body
};

class frame_sink {
 public:
  void set_compression(protocol::compression_algorithm c) noexcept { compression_ = c; }
  // Frames appended from now on go out in segments; those already queued (the READY or
  // AUTHENTICATE that ends the handshake) still go out as plain frames before them.
  void begin_segments(bool lz4) noexcept {
    segmented_ = true;
    lz4_ = lz4;
    unframed_prefix_ = pending_.size();
  }

  // Queues one frame; the body is given uncompressed. v3/v4 bodies are compressed when a
  // compression was set, except STARTUP and OPTIONS (spec v4 §5) and empty bodies.
  void append(const protocol::frame_header& h, protocol::bytes_view body);
  bool empty() const noexcept { return pending_.empty(); }
  std::size_t pending_frames() const noexcept { return frames_; }

  // Everything queued, as bytes for the wire, swapped into `out` (whose old content is
  // dropped): callers keep two buffers and alternate so no write allocates.
  void take(protocol::bytes& out);

 private:
  protocol::compression_algorithm compression_ = protocol::compression_algorithm::none;
  bool segmented_ = false;
  bool lz4_ = false;
  protocol::bytes pending_;
  std::size_t unframed_prefix_ = 0;      // bytes at the start of pending_ sent as they are
  std::vector<std::size_t> frame_ends_;  // v5: where each envelope in pending_ ends
  std::size_t frames_ = 0;
};

// The raw [int] error code at the start of an ERROR body, 0 if unreadable.
std::int32_t error_code_in(protocol::bytes_view error_body) noexcept;

}  // namespace tandem::bench
