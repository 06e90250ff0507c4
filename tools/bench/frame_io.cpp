#include "tools/bench/frame_io.hpp"

#include "protocol/wire_reader.hpp"

#include <algorithm>
#include <cstring>

namespace tandem::bench {

void frame_reader::begin_segments(bool lz4) {
  segmented_ = true;
  segments_ = protocol::segment_reassembler(lz4, limits_);
  if (read_pos_ < end_) {
    segments_.feed(protocol::bytes_view(buffer_).subspan(read_pos_, end_ - read_pos_));
  }
  read_pos_ = end_ = 0;
}

std::span<std::byte> frame_reader::prepare(std::size_t n) {
  // Drop what was read before growing: the buffer then holds at most one partial frame plus
  // one read, whatever the connection has carried.
  if (read_pos_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + read_pos_, end_ - read_pos_);
    end_ -= read_pos_;
    read_pos_ = 0;
  }
  if (buffer_.size() < end_ + n) {
    buffer_.resize(end_ + n);
  }
  return std::span<std::byte>(buffer_.data() + end_, n);
}

void frame_reader::commit(std::size_t n) {
  if (!segmented_) {
    end_ += n;
    return;
  }
  // Segmented: the bytes go on to the reassembler; the buffer is only a landing area.
  segments_.feed(protocol::bytes_view(buffer_).subspan(end_, n));
}

void frame_reader::feed(protocol::bytes_view data) {
  auto room = prepare(data.size());
  std::copy(data.begin(), data.end(), room.begin());
  commit(data.size());
}

protocol::result<std::optional<frame_in>> frame_reader::next() {
  if (segmented_) {
    TANDEM_TRY(auto envelope, segments_.next());
    if (!envelope) {
      return std::optional<frame_in>{};
    }
    envelope_ = std::move(*envelope);
    TANDEM_TRY(auto step, protocol::decode_frame(envelope_, limits_));
    if (!step.frame || step.consumed != envelope_.size()) {
      return protocol::errc::bad_value;
    }
    return std::optional<frame_in>{frame_in{step.frame->header, step.frame->body}};
  }
  const auto rest = protocol::bytes_view(buffer_).subspan(read_pos_, end_ - read_pos_);
  TANDEM_TRY(auto step, protocol::decode_frame(rest, limits_));
  if (!step.frame) {
    return std::optional<frame_in>{};
  }
  read_pos_ += step.consumed;
  return std::optional<frame_in>{frame_in{step.frame->header, step.frame->body}};
}

protocol::result<protocol::bytes_view> frame_reader::plain_body(const frame_in& f) {
  // spec v5 §2.4.1.2: the flag is ignored in v5, where whole segments are compressed.
  const bool compressed = f.header.version != protocol::protocol_version::v5 &&
                          (f.header.flags & protocol::frame_flags::compression) != 0;
  if (!compressed) {
    return f.body;
  }
  if (compression_ == protocol::compression_algorithm::none) {
    return protocol::errc::bad_value;
  }
  TANDEM_TRY(auto plain, protocol::decompress_body(compression_, f.body, limits_.max_body));
  plain_ = std::move(plain);
  return protocol::bytes_view(plain_);
}

void frame_sink::append(const protocol::frame_header& h, protocol::bytes_view body) {
  protocol::frame_header out = h;
  out.flags &= static_cast<std::uint8_t>(~protocol::frame_flags::compression);
  std::optional<protocol::bytes> compressed;
  const bool may_compress = !segmented_ && compression_ != protocol::compression_algorithm::none &&
                            h.op != protocol::opcode::startup && h.op != protocol::opcode::options &&
                            h.version != protocol::protocol_version::v5 && !body.empty();
  if (may_compress) {
    auto c = protocol::compress_body(compression_, body);
    if (c) {
      compressed = std::move(*c);
      out.flags |= protocol::frame_flags::compression;
      body = *compressed;
    }
  }
  out.body_length = static_cast<std::uint32_t>(body.size());
  const std::size_t at = pending_.size();
  pending_.resize(at + protocol::frame_header_size + body.size());
  protocol::encode_frame_header(
      out, std::span<std::byte, protocol::frame_header_size>(pending_.data() + at,
                                                              protocol::frame_header_size));
  std::copy(body.begin(), body.end(), pending_.begin() + static_cast<std::ptrdiff_t>(at + protocol::frame_header_size));
  if (segmented_) {
    frame_ends_.push_back(pending_.size());
  }
  ++frames_;
}

void frame_sink::take(protocol::bytes& out) {
  if (!segmented_) {
    out.clear();
    std::swap(out, pending_);
    frames_ = 0;
    return;
  }
  std::vector<protocol::bytes_view> envelopes;
  envelopes.reserve(frame_ends_.size());
  std::size_t begin = unframed_prefix_;
  for (const std::size_t end : frame_ends_) {
    envelopes.emplace_back(pending_.data() + begin, end - begin);
    begin = end;
  }
  out.assign(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(unframed_prefix_));
  const protocol::bytes segments = protocol::encode_envelopes_to_segments(envelopes, lz4_);
  out.insert(out.end(), segments.begin(), segments.end());
  unframed_prefix_ = 0;
  pending_.clear();
  frame_ends_.clear();
  frames_ = 0;
}

std::int32_t error_code_in(protocol::bytes_view error_body) noexcept {
  protocol::wire_reader r(error_body);
  auto code = r.read_int();
  return code ? *code : 0;
}

}  // namespace tandem::bench
