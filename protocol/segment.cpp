#include "protocol/segment.hpp"

#include "protocol/crc.hpp"

#include <lz4.h>

#include <algorithm>
#include <array>
#include <cassert>

namespace tandem::protocol {
namespace {

constexpr std::uint64_t length_mask = 0x1FFFF;  // 17 bits
constexpr int uncompressed_self_contained_bit = 17;
constexpr int lz4_uncompressed_length_shift = 17;
constexpr int lz4_self_contained_bit = 34;

// All integers of the v5 framing are little-endian (spec v5 §1).
void put_le(std::span<std::byte> out, std::uint64_t v) noexcept {
  for (std::byte& b : out) {
    b = static_cast<std::byte>(v & 0xFFu);
    v >>= 8;
  }
}

std::uint64_t get_le(bytes_view in) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = in.size(); i > 0; --i) {
    v = (v << 8) | std::to_integer<std::uint8_t>(in[i - 1]);
  }
  return v;
}


// The lz4 block of `payload` when it is smaller than the payload, else an empty view. The
// block lives in a buffer of the thread's, kept at its largest size: no allocation and no
// zero-filling per segment (issue 17: v5 with lz4 spent more in that than in lz4 itself).
bytes_view lz4_shrink(bytes_view payload) {
  if (payload.empty()) {
    return {};
  }
  thread_local bytes block;
  const int size = static_cast<int>(payload.size());
  const auto bound = static_cast<std::size_t>(LZ4_compressBound(size));
  if (block.size() < bound) {
    block.resize(bound);
  }
  const int written = LZ4_compress_default(char_data(payload),
                                           char_data(block), size,
                                           static_cast<int>(bound));
  if (written <= 0 || static_cast<std::size_t>(written) >= payload.size()) {
    return {};
  }
  return bytes_view(block).first(static_cast<std::size_t>(written));
}

// Header fields (without the CRC) and how many bytes they take.
struct header_fields {
  std::uint64_t value = 0;
  std::size_t size = 0;
};

// Appends header, CRC24, payload and CRC32 to `out` (no intermediate buffer).
void assemble(header_fields fields, bytes_view wire_payload, bytes& out) {
  std::array<std::byte, 8> header{};
  const std::span<std::byte> h(header);
  put_le(h.first(fields.size), fields.value);
  put_le(h.subspan(fields.size, 3), crc24(h.first(fields.size)));
  std::array<std::byte, segment_trailer_size> trailer{};
  put_le(trailer, segment_crc32(wire_payload));
  out.insert(out.end(), header.begin(), header.begin() + static_cast<std::ptrdiff_t>(fields.size + 3));
  out.insert(out.end(), wire_payload.begin(), wire_payload.end());
  out.insert(out.end(), trailer.begin(), trailer.end());
}

// The payload as it travels (possibly compressed) → the envelope bytes.
result<bytes> unpack_payload(bytes_view wire_payload, std::size_t uncompressed_length) {
  if (uncompressed_length == 0) {
    return bytes(wire_payload.begin(), wire_payload.end());
  }
  bytes out(uncompressed_length);
  const int n = LZ4_decompress_safe(char_data(wire_payload), char_data(out),
                                    static_cast<int>(wire_payload.size()),
                                    static_cast<int>(uncompressed_length));
  if (n < 0 || static_cast<std::size_t>(n) != uncompressed_length) {
    return errc::decompression_failed;
  }
  return out;
}

}  // namespace

void append_segment(bytes_view payload, bool self_contained, bool lz4, bytes& out) {
  assert(payload.size() <= max_segment_payload);
  if (!lz4) {
    std::uint64_t v = payload.size();
    if (self_contained) {
      v |= std::uint64_t{1} << uncompressed_self_contained_bit;
    }
    assemble({v, 3}, payload, out);
    return;
  }
  const bytes_view block = lz4_shrink(payload);
  const bytes_view wire = block.empty() ? payload : block;
  const std::uint64_t uncompressed = block.empty() ? 0 : payload.size();
  std::uint64_t v = wire.size() | (uncompressed << lz4_uncompressed_length_shift);
  if (self_contained) {
    v |= std::uint64_t{1} << lz4_self_contained_bit;
  }
  assemble({v, 5}, wire, out);
}

bytes encode_segment(bytes_view payload, bool self_contained, bool lz4) {
  bytes out;
  append_segment(payload, self_contained, lz4, out);
  return out;
}

result<segment_step> decode_segment(bytes_view in, bool lz4) {
  const std::size_t fields_size = lz4 ? 5 : 3;
  const std::size_t header_size = fields_size + 3;
  if (in.size() < header_size) {
    return segment_step{};
  }
  const std::uint64_t fields = get_le(in.first(fields_size));
  if (get_le(in.subspan(fields_size, 3)) != crc24(in.first(fields_size))) {
    return errc::crc_mismatch;
  }
  const std::size_t wire_length = fields & length_mask;
  const std::size_t uncompressed_length =
      lz4 ? (fields >> lz4_uncompressed_length_shift) & length_mask : 0;
  const int self_contained_bit = lz4 ? lz4_self_contained_bit : uncompressed_self_contained_bit;
  const bool self_contained = ((fields >> self_contained_bit) & 1u) != 0;

  const std::size_t total = header_size + wire_length + segment_trailer_size;
  if (in.size() < total) {
    return segment_step{};
  }
  const bytes_view wire = in.subspan(header_size, wire_length);
  if (get_le(in.subspan(header_size + wire_length, segment_trailer_size)) != segment_crc32(wire)) {
    return errc::crc_mismatch;
  }
  TANDEM_TRY(auto payload, unpack_payload(wire, uncompressed_length));
  return segment_step{total, segment{self_contained, std::move(payload)}};
}

bytes encode_envelopes_to_segments(std::span<const bytes_view> envelopes, bool lz4) {
  bytes out;
  if (envelopes.size() == 1 && envelopes[0].size() <= max_segment_payload) {
    // The common case (one frame written): its segment straight from the envelope.
    append_segment(envelopes[0], true, lz4, out);
    return out;
  }
  bytes pending;  // whole envelopes waiting for the next self-contained segment
  auto flush = [&] {
    if (!pending.empty()) {
      append_segment(pending, true, lz4, out);
      pending.clear();
    }
  };
  for (const bytes_view envelope : envelopes) {
    if (envelope.size() > max_segment_payload) {
      flush();
      for (std::size_t at = 0; at < envelope.size(); at += max_segment_payload) {
        const std::size_t n = std::min(max_segment_payload, envelope.size() - at);
        append_segment(envelope.subspan(at, n), false, lz4, out);
      }
      continue;
    }
    if (pending.size() + envelope.size() > max_segment_payload) {
      flush();
    }
    pending.insert(pending.end(), envelope.begin(), envelope.end());
  }
  flush();
  return out;
}

void segment_reassembler::feed(bytes_view data) {
  if (failed_) {
    return;  // nothing more will be read; don't hold what a broken peer keeps sending
  }
  input_.insert(input_.end(), data.begin(), data.end());
}

std::size_t segment_reassembler::buffered_bytes() const noexcept {
  return (input_.size() - input_pos_) + (payload_.size() - payload_pos_) + partial_.size();
}

result<std::optional<bytes>> segment_reassembler::fail(boost::system::error_code ec) {
  failed_ = ec;
  input_.clear();
  payload_.clear();
  partial_.clear();
  input_pos_ = payload_pos_ = partial_total_ = 0;
  return ec;
}

result<std::optional<bytes>> segment_reassembler::next() {
  while (!failed_) {
    if (payload_pos_ < payload_.size()) {
      return next_in_payload();
    }
    auto step = decode_segment(bytes_view(input_).subspan(input_pos_), lz4_);
    if (!step) {
      return fail(step.error());
    }
    if (!step->decoded) {
      // Drop what was read so the buffer stays under one segment.
      input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(input_pos_));
      input_pos_ = 0;
      return std::optional<bytes>{};
    }
    input_pos_ += step->consumed;
    segment& seg = *step->decoded;
    if (!seg.self_contained) {
      auto done = add_to_partial(seg.payload);
      if (!done || *done) {
        return done;
      }
      continue;
    }
    if (!partial_.empty()) {
      // spec v5 §1: the segments of a large envelope are sent in order, nothing between them.
      return fail(errc::bad_value);
    }
    payload_ = std::move(seg.payload);
    payload_pos_ = 0;
  }
  return failed_;
}

// One envelope out of the current self-contained payload, which must hold whole envelopes.
result<std::optional<bytes>> segment_reassembler::next_in_payload() {
  const bytes_view rest = bytes_view(payload_).subspan(payload_pos_);
  auto step = decode_frame(rest, limits_);
  if (!step) {
    return fail(step.error());
  }
  if (!step->frame) {
    return fail(errc::bad_value);  // the segment ends in the middle of an envelope
  }
  bytes envelope(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(step->consumed));
  payload_pos_ += step->consumed;
  if (payload_pos_ == payload_.size()) {
    payload_.clear();
    payload_pos_ = 0;
  }
  return std::optional<bytes>{std::move(envelope)};
}

// Appends a non-self-contained segment's payload; returns the envelope once it is complete.
result<std::optional<bytes>> segment_reassembler::add_to_partial(bytes_view piece) {
  if (partial_total_ != 0 && piece.size() > partial_total_ - partial_.size()) {
    return fail(errc::bad_value);  // more bytes than the envelope declares
  }
  partial_.insert(partial_.end(), piece.begin(), piece.end());
  if (partial_total_ == 0 && partial_.size() >= frame_header_size) {
    // The limit is checked here, once, so the rest of a huge envelope is never buffered.
    auto h = decode_frame_header(partial_, limits_);
    if (!h) {
      return fail(h.error());
    }
    partial_total_ = frame_header_size + std::size_t{h->body_length};
  }
  if (partial_total_ == 0 || partial_.size() < partial_total_) {
    return std::optional<bytes>{};
  }
  if (partial_.size() > partial_total_) {
    return fail(errc::bad_value);
  }
  bytes envelope = std::move(partial_);
  partial_.clear();
  partial_total_ = 0;
  return std::optional<bytes>{std::move(envelope)};
}

}  // namespace tandem::protocol
