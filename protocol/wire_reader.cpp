#include "protocol/wire_reader.hpp"

#include <cstring>

namespace tandem::protocol {
namespace {

std::uint64_t load_be(const std::byte* p, std::size_t n) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    v = (v << 8) | std::to_integer<std::uint8_t>(p[i]);
  }
  return v;
}

std::string_view as_text(bytes_view b) noexcept {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace

result<bytes_view> wire_reader::read_raw(std::size_t n) noexcept {
  if (n > remaining()) {
    return errc::truncated;
  }
  auto out = in_.subspan(pos_, n);
  pos_ += n;
  return out;
}

result<std::uint8_t> wire_reader::read_byte() noexcept {
  TANDEM_TRY(auto b, read_raw(1));
  return std::to_integer<std::uint8_t>(b[0]);
}

result<std::uint16_t> wire_reader::read_short() noexcept {
  TANDEM_TRY(auto b, read_raw(2));
  return static_cast<std::uint16_t>(load_be(b.data(), 2));
}

result<std::int16_t> wire_reader::read_signed_short() noexcept {
  TANDEM_TRY(auto v, read_short());
  return static_cast<std::int16_t>(v);
}

result<std::int32_t> wire_reader::read_int() noexcept {
  TANDEM_TRY(auto b, read_raw(4));
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(load_be(b.data(), 4)));
}

result<std::int64_t> wire_reader::read_long() noexcept {
  TANDEM_TRY(auto b, read_raw(8));
  return static_cast<std::int64_t>(load_be(b.data(), 8));
}

result<std::string_view> wire_reader::read_string() noexcept {
  TANDEM_TRY(auto n, read_short());
  TANDEM_TRY(auto b, read_raw(n));
  return as_text(b);
}

result<std::string_view> wire_reader::read_long_string() noexcept {
  TANDEM_TRY(auto n, read_int());
  if (n < 0) {
    return errc::negative_length;
  }
  TANDEM_TRY(auto b, read_raw(static_cast<std::size_t>(n)));
  return as_text(b);
}

result<uuid> wire_reader::read_uuid() noexcept {
  TANDEM_TRY(auto b, read_raw(16));
  uuid u;
  std::memcpy(u.data(), b.data(), 16);
  return u;
}

result<string_list> wire_reader::read_string_list() {
  TANDEM_TRY(auto n, read_short());
  // Each string takes at least its 2-byte length: a count larger than that cannot be honest,
  // and checking it first keeps a hostile count from reserving memory.
  if (std::size_t{n} * 2 > remaining()) {
    return errc::truncated;
  }
  string_list out;
  out.reserve(n);
  for (std::uint16_t i = 0; i < n; ++i) {
    TANDEM_TRY(auto s, read_string());
    out.emplace_back(s);
  }
  return out;
}

result<std::optional<bytes_view>> wire_reader::read_bytes() noexcept {
  TANDEM_TRY(auto n, read_int());
  if (n < 0) {
    return std::optional<bytes_view>{};
  }
  TANDEM_TRY(auto b, read_raw(static_cast<std::size_t>(n)));
  return std::optional<bytes_view>{b};
}

result<value_view> wire_reader::read_value() noexcept {
  TANDEM_TRY(auto n, read_int());
  if (n == -1) {
    return value_view{value::kind::null, {}};
  }
  if (n == -2) {
    return value_view{value::kind::unset, {}};
  }
  if (n < 0) {
    return errc::negative_length;
  }
  TANDEM_TRY(auto b, read_raw(static_cast<std::size_t>(n)));
  return value_view{value::kind::set, b};
}

result<bytes_view> wire_reader::read_short_bytes() noexcept {
  TANDEM_TRY(auto n, read_short());
  return read_raw(n);
}

// spec v5 §3 [unsigned vint]: the count of leading 1 bits of the first byte is the number of
// extra bytes; the remaining bits of the first byte are the value's most significant bits.
result<std::uint64_t> wire_reader::read_unsigned_vint() noexcept {
  TANDEM_TRY(auto first, read_byte());
  int extra = 0;
  while (extra < 8 && (first & (0x80u >> extra)) != 0) {
    ++extra;
  }
  TANDEM_TRY(auto tail, read_raw(static_cast<std::size_t>(extra)));
  std::uint64_t v = extra == 8 ? 0 : (first & (0xFFu >> extra));
  for (auto b : tail) {
    v = (v << 8) | std::to_integer<std::uint8_t>(b);
  }
  return v;
}

result<std::int64_t> wire_reader::read_vint() noexcept {
  TANDEM_TRY(auto u, read_unsigned_vint());
  return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
}

result<data_type> wire_reader::read_option(int depth) {
  if (depth > max_type_nesting) {
    return errc::bad_value;
  }
  data_type t;
  TANDEM_TRY(auto id, read_short());
  t.id = static_cast<type_id>(id);
  switch (t.id) {
    case type_id::custom: {
      TANDEM_TRY(auto name, read_string());
      t.custom_class = name;
      break;
    }
    case type_id::list:
    case type_id::set: {
      TANDEM_TRY(auto inner, read_option(depth + 1));
      t.params.push_back(std::move(inner));
      break;
    }
    case type_id::map: {
      TANDEM_TRY(auto k, read_option(depth + 1));
      TANDEM_TRY(auto v, read_option(depth + 1));
      t.params.push_back(std::move(k));
      t.params.push_back(std::move(v));
      break;
    }
    case type_id::udt: {
      TANDEM_TRY(auto ks, read_string());
      TANDEM_TRY(auto name, read_string());
      TANDEM_TRY(auto n, read_short());
      t.udt_keyspace = ks;
      t.udt_name = name;
      for (std::uint16_t i = 0; i < n; ++i) {
        TANDEM_TRY(auto field, read_string());
        TANDEM_TRY(auto ft, read_option(depth + 1));
        t.udt_field_names.emplace_back(field);
        t.params.push_back(std::move(ft));
      }
      break;
    }
    case type_id::tuple: {
      TANDEM_TRY(auto n, read_short());
      for (std::uint16_t i = 0; i < n; ++i) {
        TANDEM_TRY(auto et, read_option(depth + 1));
        t.params.push_back(std::move(et));
      }
      break;
    }
    case type_id::ascii: case type_id::bigint: case type_id::blob: case type_id::boolean:
    case type_id::counter: case type_id::decimal: case type_id::double_: case type_id::float_:
    case type_id::int_: case type_id::timestamp: case type_id::uuid: case type_id::varchar:
    case type_id::varint: case type_id::timeuuid: case type_id::inet: case type_id::date:
    case type_id::time: case type_id::smallint: case type_id::tinyint: case type_id::duration:
      break;
    default:
      return errc::bad_value;
  }
  return t;
}

result<inet> wire_reader::read_inetaddr() noexcept {
  TANDEM_TRY(auto n, read_byte());
  if (n != 4 && n != 16) {
    return errc::bad_value;
  }
  TANDEM_TRY(auto b, read_raw(n));
  inet out;
  out.address_size = n;
  std::memcpy(out.address.data(), b.data(), n);
  return out;
}

result<inet> wire_reader::read_inet() noexcept {
  TANDEM_TRY(auto out, read_inetaddr());
  TANDEM_TRY(auto port, read_int());
  out.port = port;
  return out;
}

result<consistency> wire_reader::read_consistency() noexcept {
  TANDEM_TRY(auto v, read_short());
  if (!is_valid_consistency(v)) {
    return errc::bad_value;
  }
  return static_cast<consistency>(v);
}

result<string_map> wire_reader::read_string_map() {
  TANDEM_TRY(auto n, read_short());
  string_map out;
  for (std::uint16_t i = 0; i < n; ++i) {
    TANDEM_TRY(auto k, read_string());
    TANDEM_TRY(auto v, read_string());
    out.insert_or_assign(std::string(k), std::string(v));
  }
  return out;
}

result<string_multimap> wire_reader::read_string_multimap() {
  TANDEM_TRY(auto n, read_short());
  string_multimap out;
  for (std::uint16_t i = 0; i < n; ++i) {
    TANDEM_TRY(auto k, read_string());
    TANDEM_TRY(auto v, read_string_list());
    out.insert_or_assign(std::string(k), std::move(v));
  }
  return out;
}

result<bytes_map> wire_reader::read_bytes_map() {
  TANDEM_TRY(auto n, read_short());
  bytes_map out;
  for (std::uint16_t i = 0; i < n; ++i) {
    TANDEM_TRY(auto k, read_string());
    TANDEM_TRY(auto v, read_bytes());
    std::optional<bytes> owned;
    if (v) {
      owned.emplace(v->begin(), v->end());
    }
    out.insert_or_assign(std::string(k), std::move(owned));
  }
  return out;
}

}  // namespace tandem::protocol
