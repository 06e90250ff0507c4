#include "protocol/compression.hpp"

#include <lz4.h>
#include <snappy-c.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <limits>

namespace tandem::protocol {
namespace {

constexpr std::size_t lz4_length_prefix = 4;  // spec v4 §5: big-endian uncompressed length


bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

result<bytes> lz4_compress(bytes_view body) {
  if (body.size() > static_cast<std::size_t>(LZ4_MAX_INPUT_SIZE)) {
    return errc::compression_failed;
  }
  const int size = static_cast<int>(body.size());
  const int bound = LZ4_compressBound(size);
  bytes out(lz4_length_prefix + static_cast<std::size_t>(bound));
  const auto length = static_cast<std::uint32_t>(body.size());
  for (std::size_t i = 0; i < lz4_length_prefix; ++i) {
    out[i] = static_cast<std::byte>((length >> (8 * (3 - i))) & 0xFFu);
  }
  // LZ4 reads nothing when size is 0, but wants a valid pointer.
  const char empty = 0;
  const char* src = body.empty() ? &empty : char_data(body);
  const int written = LZ4_compress_default(src, char_data(out) + lz4_length_prefix, size, bound);
  if (written <= 0) {
    return errc::compression_failed;
  }
  out.resize(lz4_length_prefix + static_cast<std::size_t>(written));
  return out;
}

result<bytes> lz4_decompress(bytes_view body, std::size_t max_uncompressed) {
  if (body.size() < lz4_length_prefix) {
    return errc::decompression_failed;
  }
  std::uint32_t declared = 0;
  for (std::size_t i = 0; i < lz4_length_prefix; ++i) {
    declared = (declared << 8) | std::to_integer<std::uint8_t>(body[i]);
  }
  if (declared > max_uncompressed) {
    return errc::frame_too_long;
  }
  const bytes_view block = body.subspan(lz4_length_prefix);
  if (declared == 0 && block.empty()) {
    return bytes{};  // a lenient reading of "nothing": no block at all
  }
  if (declared > static_cast<std::uint32_t>(INT_MAX) ||
      block.size() > static_cast<std::size_t>(INT_MAX)) {
    return errc::decompression_failed;
  }
  bytes out(declared);
  char spare = 0;  // LZ4 wants a valid destination even for 0 bytes
  char* dst = out.empty() ? &spare : char_data(out);
  const int n = LZ4_decompress_safe(char_data(block), dst, static_cast<int>(block.size()),
                                    static_cast<int>(declared));
  if (n < 0 || static_cast<std::uint32_t>(n) != declared) {
    return errc::decompression_failed;
  }
  return out;
}

result<bytes> snappy_compress_body(bytes_view body) {
  // Snappy's own format stores the length in 32 bits.
  if (body.size() > std::numeric_limits<std::uint32_t>::max()) {
    return errc::compression_failed;
  }
  std::size_t length = snappy_max_compressed_length(body.size());
  bytes out(length);
  if (snappy_compress(char_data(body), body.size(), char_data(out), &length) != SNAPPY_OK) {
    return errc::compression_failed;
  }
  out.resize(length);
  return out;
}

result<bytes> snappy_decompress_body(bytes_view body, std::size_t max_uncompressed) {
  std::size_t declared = 0;
  if (snappy_uncompressed_length(char_data(body), body.size(), &declared) != SNAPPY_OK) {
    return errc::decompression_failed;
  }
  if (declared > max_uncompressed) {
    return errc::frame_too_long;
  }
  // Validation walks the input without writing, so corrupt input costs no allocation.
  if (snappy_validate_compressed_buffer(char_data(body), body.size()) != SNAPPY_OK) {
    return errc::decompression_failed;
  }
  bytes out(declared);
  char spare = 0;
  char* dst = out.empty() ? &spare : char_data(out);
  std::size_t length = declared;
  if (snappy_uncompress(char_data(body), body.size(), dst, &length) != SNAPPY_OK ||
      length != declared) {
    return errc::decompression_failed;
  }
  return out;
}

struct whole_frame {
  frame_header header;
  bytes_view body;
};

result<whole_frame> parse_whole_frame(bytes_view frame, const frame_limits& limits) {
  TANDEM_TRY(auto h, decode_frame_header(frame, limits));
  const std::size_t total = frame_header_size + std::size_t{h.body_length};
  if (frame.size() < total) {
    return errc::truncated;
  }
  if (frame.size() > total) {
    return errc::trailing_bytes;
  }
  return whole_frame{h, frame.subspan(frame_header_size)};
}

}  // namespace

result<compression_algorithm> parse_compression_algorithm(std::string_view name) noexcept {
  if (equals_ignoring_case(name, "lz4")) {
    return compression_algorithm::lz4;
  }
  if (equals_ignoring_case(name, "snappy")) {
    return compression_algorithm::snappy;
  }
  return errc::bad_value;
}

const char* compression_algorithm_name(compression_algorithm a) noexcept {
  switch (a) {
    case compression_algorithm::none: return "";
    case compression_algorithm::lz4: return "lz4";
    case compression_algorithm::snappy: return "snappy";
  }
  return "";
}

result<bytes> compress_body(compression_algorithm a, bytes_view body) {
  switch (a) {
    case compression_algorithm::none: return bytes(body.begin(), body.end());
    case compression_algorithm::lz4: return lz4_compress(body);
    case compression_algorithm::snappy: return snappy_compress_body(body);
  }
  return errc::compression_failed;
}

result<bytes> decompress_body(compression_algorithm a, bytes_view body,
                              std::size_t max_uncompressed) {
  switch (a) {
    case compression_algorithm::none:
      if (body.size() > max_uncompressed) {
        return errc::frame_too_long;
      }
      return bytes(body.begin(), body.end());
    case compression_algorithm::lz4: return lz4_decompress(body, max_uncompressed);
    case compression_algorithm::snappy: return snappy_decompress_body(body, max_uncompressed);
  }
  return errc::decompression_failed;
}

result<bytes> decompress_frame(compression_algorithm a, bytes_view frame,
                               const frame_limits& limits) {
  TANDEM_TRY(auto f, parse_whole_frame(frame, limits));
  if (f.header.version == protocol_version::v5 ||
      (f.header.flags & frame_flags::compression) == 0) {
    return bytes(frame.begin(), frame.end());
  }
  if (a == compression_algorithm::none) {
    return errc::bad_value;
  }
  TANDEM_TRY(auto body, decompress_body(a, f.body, limits.max_body));
  frame_header h = f.header;
  h.flags = static_cast<std::uint8_t>(h.flags & ~frame_flags::compression);
  return encode_frame(h, body);
}

result<bytes> compress_frame(compression_algorithm a, bytes_view frame) {
  const frame_limits any_length{std::numeric_limits<std::uint32_t>::max()};
  TANDEM_TRY(auto f, parse_whole_frame(frame, any_length));
  if (a == compression_algorithm::none || f.header.version == protocol_version::v5 ||
      (f.header.flags & frame_flags::compression) != 0 || f.header.op == opcode::startup) {
    return bytes(frame.begin(), frame.end());
  }
  TANDEM_TRY(auto body, compress_body(a, f.body));
  if (body.size() > std::numeric_limits<std::uint32_t>::max()) {
    return errc::compression_failed;
  }
  frame_header h = f.header;
  h.flags = static_cast<std::uint8_t>(h.flags | frame_flags::compression);
  return encode_frame(h, body);
}

}  // namespace tandem::protocol
