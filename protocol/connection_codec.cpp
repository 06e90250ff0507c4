#include "protocol/connection_codec.hpp"

#include <algorithm>

namespace tandem::protocol {

void connection_codec::begin_framing(protocol_version v, compression_algorithm c) {
  compression_ = c;
  if (v != protocol_version::v5) {
    return;
  }
  framed_ = true;
  reassembler_ = segment_reassembler(c == compression_algorithm::lz4, limits_);
  // Bytes that arrived after the last unframed frame already belong to the first segment.
  if (pending_pos_ < pending_.size()) {
    reassembler_.feed(bytes_view(pending_).subspan(pending_pos_));
  }
  pending_.clear();
  pending_pos_ = 0;
}

void connection_codec::feed(bytes_view data) {
  if (framed_) {
    reassembler_.feed(data);
    return;
  }
  // Drop the bytes already decoded before appending. Waiting for a read that ends exactly on a
  // frame boundary is not enough: a pipelining client that always leaves a partial frame at
  // the end of its reads would make pending_ grow with everything it ever sent. Moving the
  // unread tail down once the consumed prefix is at least half the buffer (or past a small
  // threshold) keeps the buffer within about twice the bytes in flight, at an amortised cost of
  // at most one extra copy of every byte.
  if (pending_pos_ > 0 &&
      (pending_pos_ == pending_.size() || pending_pos_ >= compact_threshold ||
       pending_pos_ * 2 >= pending_.size())) {
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pending_pos_));
    pending_pos_ = 0;
  }
  pending_.insert(pending_.end(), data.begin(), data.end());
}

std::size_t connection_codec::buffered_bytes() const noexcept {
  return framed_ ? reassembler_.buffered_bytes() : pending_.size() - pending_pos_;
}

std::size_t connection_codec::held_bytes() const noexcept {
  return framed_ ? reassembler_.buffered_bytes() : pending_.size();
}

result<owned_frame> connection_codec::finish(frame_header h, bytes body) const {
  // spec v5 §2.4.1.2: the compression flag is deprecated and ignored in v5 envelopes.
  if (h.version != protocol_version::v5 && (h.flags & frame_flags::compression) != 0) {
    if (compression_ == compression_algorithm::none) {
      return errc::bad_value;
    }
    TANDEM_TRY(auto plain, decompress_body(compression_, body, limits_.max_body));
    buffer_pool::give_back(std::move(body));
    body = std::move(plain);
  }
  h.flags &= static_cast<std::uint8_t>(~frame_flags::compression);
  h.body_length = static_cast<std::uint32_t>(body.size());
  return owned_frame{h, std::move(body)};
}

result<std::optional<owned_frame>> connection_codec::next() {
  if (framed_) {
    TANDEM_TRY(auto envelope, reassembler_.next());
    if (!envelope) {
      return std::optional<owned_frame>{};
    }
    TANDEM_TRY(auto step, decode_frame(*envelope, limits_));
    if (!step.frame) {
      return errc::bad_value;
    }
    bytes body = buffer_pool::take();
    body.assign(step.frame->body.begin(), step.frame->body.end());
    TANDEM_TRY(auto f, finish(step.frame->header, std::move(body)));
    return std::optional<owned_frame>{std::move(f)};
  }
  const bytes_view rest = bytes_view(pending_).subspan(pending_pos_);
  TANDEM_TRY(auto step, decode_frame(rest, limits_));
  if (!step.frame) {
    return std::optional<owned_frame>{};
  }
  bytes body = buffer_pool::take();  // given back when the frame is destroyed (owned_frame)
  body.assign(step.frame->body.begin(), step.frame->body.end());
  const frame_header h = step.frame->header;
  pending_pos_ += step.consumed;
  TANDEM_TRY(auto f, finish(h, std::move(body)));
  return std::optional<owned_frame>{std::move(f)};
}

void connection_codec::encode_into(const frame_header& h, bytes_view body, bytes& out) const {
  if (!framed_ && compression_ == compression_algorithm::none) {
    frame_header plain = h;
    plain.flags &= static_cast<std::uint8_t>(~frame_flags::compression);
    encode_frame_into(plain, body, out);
    return;
  }
  out = encode(h, body);
}

bytes connection_codec::encode(const frame_header& h, bytes_view body) const {
  frame_header out = h;
  out.flags &= static_cast<std::uint8_t>(~frame_flags::compression);
  if (!framed_) {
    const bool may_compress = compression_ != compression_algorithm::none &&
                              h.op != opcode::startup && h.op != opcode::options &&
                              h.version != protocol_version::v5 && !body.empty();
    if (may_compress) {
      auto compressed = compress_body(compression_, body);
      if (compressed) {
        out.flags |= frame_flags::compression;
        return encode_frame(out, *compressed);
      }
    }
    return encode_frame(out, body);
  }
  const bytes frame = encode_frame(out, body);
  const bytes_view views[] = {frame};
  return encode_envelopes_to_segments(views, compression_ == compression_algorithm::lz4);
}

}  // namespace tandem::protocol
