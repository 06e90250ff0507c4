// A bounds-checked reader for the primitives of spec v4 §3 / spec v5 §3, over a span of bytes.
// Every read checks the bytes that are there; none throws. Views (string_view, bytes_view)
// point into the reader's input and live as long as it.
#pragma once

#include "protocol/error.hpp"
#include "protocol/types.hpp"

namespace tandem::protocol {

class wire_reader {
 public:
  explicit wire_reader(bytes_view in) noexcept : in_(in) {}

  std::size_t position() const noexcept { return pos_; }
  std::size_t remaining() const noexcept { return in_.size() - pos_; }
  bool empty() const noexcept { return pos_ == in_.size(); }
  bytes_view rest() const noexcept { return in_.subspan(pos_); }

  result<std::uint8_t> read_byte() noexcept;
  result<std::int16_t> read_signed_short() noexcept;
  result<std::uint16_t> read_short() noexcept;  // [short]: unsigned 16 bits
  result<std::int32_t> read_int() noexcept;
  result<std::int64_t> read_long() noexcept;
  result<std::string_view> read_string() noexcept;       // [string]: [short] n, n bytes
  result<std::string_view> read_long_string() noexcept;  // [long string]: [int] n, n bytes
  result<uuid> read_uuid() noexcept;
  result<string_list> read_string_list();
  // [bytes]: [int] n; n < 0 is null (std::nullopt).
  result<std::optional<bytes_view>> read_bytes() noexcept;
  // [value]: like [bytes], with -2 meaning "unset" (v4+). Other negatives are errors.
  result<value_view> read_value() noexcept;
  result<bytes_view> read_short_bytes() noexcept;  // [short bytes]: [short] n, n bytes
  result<std::uint64_t> read_unsigned_vint() noexcept;  // [unsigned vint] (spec v5 §3)
  result<std::int64_t> read_vint() noexcept;            // [vint], zig-zag encoded
  result<data_type> read_option(int depth = 0);         // [option] as a column type
  result<inet> read_inet() noexcept;                    // [inet]: address and port
  result<inet> read_inetaddr() noexcept;                // [inetaddr]: address only
  result<consistency> read_consistency() noexcept;
  result<string_map> read_string_map();
  result<string_multimap> read_string_multimap();
  result<bytes_map> read_bytes_map();
  result<bytes_view> read_raw(std::size_t n) noexcept;  // n bytes as they are

 private:
  bytes_view in_;
  std::size_t pos_ = 0;
};

// Deepest nesting of collection/tuple/UDT types accepted in an [option]; deeper input is
// rejected so that a hostile frame cannot exhaust the stack.
inline constexpr int max_type_nesting = 32;

}  // namespace tandem::protocol
