// A writer for the primitives of spec v4 §3 / spec v5 §3, appending to an owned buffer.
#pragma once

#include "protocol/types.hpp"

namespace tandem::protocol {

class wire_writer {
 public:
  wire_writer() = default;
  explicit wire_writer(bytes initial) : out_(std::move(initial)) {}

  const bytes& data() const noexcept { return out_; }
  bytes take() noexcept { return std::move(out_); }
  std::size_t size() const noexcept { return out_.size(); }

  void write_byte(std::uint8_t v);
  void write_short(std::uint16_t v);
  void write_int(std::int32_t v);
  void write_long(std::int64_t v);
  void write_string(std::string_view s);       // [string]; s must be shorter than 64 KiB
  void write_long_string(std::string_view s);  // [long string]
  void write_uuid(const uuid& u);
  void write_string_list(const string_list& l);
  void write_bytes(const std::optional<bytes_view>& b);  // std::nullopt is null
  void write_value(const value& v);
  void write_value(const value_view& v);
  void write_short_bytes(bytes_view b);
  void write_unsigned_vint(std::uint64_t v);
  void write_vint(std::int64_t v);
  void write_option(const data_type& t);
  void write_inet(const inet& a);
  void write_inetaddr(const inet& a);
  void write_consistency(consistency c);
  void write_string_map(const string_map& m);
  void write_string_multimap(const string_multimap& m);
  void write_bytes_map(const bytes_map& m);
  void write_raw(bytes_view b);

  // Reserve an [int] to be filled in later (a length known only after its content).
  std::size_t reserve_int();
  void patch_int(std::size_t offset, std::int32_t v);

 private:
  bytes out_;
};

// Size in bytes of the [unsigned vint] encoding of v (1 to 9).
std::size_t unsigned_vint_size(std::uint64_t v) noexcept;

}  // namespace tandem::protocol
