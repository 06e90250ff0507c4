#include "protocol/wire_writer.hpp"

#include <bit>

namespace tandem::protocol {
namespace {

void store_be(bytes& out, std::uint64_t v, std::size_t n) {
  for (std::size_t i = n; i > 0; --i) {
    out.push_back(static_cast<std::byte>((v >> (8 * (i - 1))) & 0xFF));
  }
}

bytes_view as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace

void wire_writer::write_raw(bytes_view b) { out_.insert(out_.end(), b.begin(), b.end()); }
void wire_writer::write_byte(std::uint8_t v) { out_.push_back(static_cast<std::byte>(v)); }
void wire_writer::write_short(std::uint16_t v) { store_be(out_, v, 2); }
void wire_writer::write_int(std::int32_t v) { store_be(out_, static_cast<std::uint32_t>(v), 4); }
void wire_writer::write_long(std::int64_t v) { store_be(out_, static_cast<std::uint64_t>(v), 8); }

void wire_writer::write_string(std::string_view s) {
  write_short(static_cast<std::uint16_t>(s.size()));
  write_raw(as_bytes(s));
}

void wire_writer::write_long_string(std::string_view s) {
  write_int(static_cast<std::int32_t>(s.size()));
  write_raw(as_bytes(s));
}

void wire_writer::write_uuid(const uuid& u) { write_raw(u); }

void wire_writer::write_string_list(const string_list& l) {
  write_short(static_cast<std::uint16_t>(l.size()));
  for (const auto& s : l) {
    write_string(s);
  }
}

void wire_writer::write_bytes(const std::optional<bytes_view>& b) {
  if (!b) {
    write_int(-1);
    return;
  }
  write_int(static_cast<std::int32_t>(b->size()));
  write_raw(*b);
}

void wire_writer::write_value(const value_view& v) {
  switch (v.state) {
    case value::kind::null: write_int(-1); return;
    case value::kind::unset: write_int(-2); return;
    case value::kind::set: write_bytes(v.data); return;
  }
}

void wire_writer::write_value(const value& v) { write_value(value_view{v.state, v.data}); }

void wire_writer::write_short_bytes(bytes_view b) {
  write_short(static_cast<std::uint16_t>(b.size()));
  write_raw(b);
}

std::size_t unsigned_vint_size(std::uint64_t v) noexcept {
  // 7 value bits fit in one byte; each extra byte adds 8 bits minus the one length bit it
  // takes from the first byte; 9 bytes hold any 64-bit value (spec v5 §3).
  const int bits = 64 - std::countl_zero(v | 1);
  if (bits > 56) {
    return 9;
  }
  return static_cast<std::size_t>((bits - 1) / 7 + 1);
}

void wire_writer::write_unsigned_vint(std::uint64_t v) {
  const std::size_t size = unsigned_vint_size(v);
  if (size == 9) {
    write_byte(0xFF);
    store_be(out_, v, 8);
    return;
  }
  const std::size_t extra = size - 1;
  const auto length_bits = static_cast<std::uint8_t>(~(0xFFu >> extra) & 0xFFu);
  const auto first = static_cast<std::uint8_t>((v >> (8 * extra)) & 0xFF);
  write_byte(static_cast<std::uint8_t>(first | length_bits));
  store_be(out_, v, extra);
}

void wire_writer::write_vint(std::int64_t v) {
  const auto u = static_cast<std::uint64_t>(v);
  write_unsigned_vint((u << 1) ^ static_cast<std::uint64_t>(v >> 63));
}

void wire_writer::write_option(const data_type& t) {
  write_short(static_cast<std::uint16_t>(t.id));
  switch (t.id) {
    case type_id::custom:
      write_string(t.custom_class);
      break;
    case type_id::list:
    case type_id::set:
    case type_id::map:
      for (const auto& p : t.params) {
        write_option(p);
      }
      break;
    case type_id::udt:
      write_string(t.udt_keyspace);
      write_string(t.udt_name);
      write_short(static_cast<std::uint16_t>(t.params.size()));
      for (std::size_t i = 0; i < t.params.size(); ++i) {
        write_string(i < t.udt_field_names.size() ? t.udt_field_names[i] : std::string{});
        write_option(t.params[i]);
      }
      break;
    case type_id::tuple:
      write_short(static_cast<std::uint16_t>(t.params.size()));
      for (const auto& p : t.params) {
        write_option(p);
      }
      break;
    default:
      break;
  }
}

void wire_writer::write_inetaddr(const inet& a) {
  write_byte(a.address_size);
  write_raw(bytes_view{reinterpret_cast<const std::byte*>(a.address.data()), a.address_size});
}

void wire_writer::write_inet(const inet& a) {
  write_inetaddr(a);
  write_int(a.port);
}

void wire_writer::write_consistency(consistency c) { write_short(static_cast<std::uint16_t>(c)); }

void wire_writer::write_string_map(const string_map& m) {
  write_short(static_cast<std::uint16_t>(m.size()));
  for (const auto& [k, v] : m) {
    write_string(k);
    write_string(v);
  }
}

void wire_writer::write_string_multimap(const string_multimap& m) {
  write_short(static_cast<std::uint16_t>(m.size()));
  for (const auto& [k, v] : m) {
    write_string(k);
    write_string_list(v);
  }
}

void wire_writer::write_bytes_map(const bytes_map& m) {
  write_short(static_cast<std::uint16_t>(m.size()));
  for (const auto& [k, v] : m) {
    write_string(k);
    if (v) {
      write_bytes(bytes_view{*v});
    } else {
      write_bytes(std::nullopt);
    }
  }
}

std::size_t wire_writer::reserve_int() {
  const std::size_t at = out_.size();
  write_int(0);
  return at;
}

void wire_writer::patch_int(std::size_t offset, std::int32_t v) {
  const auto u = static_cast<std::uint32_t>(v);
  for (std::size_t i = 0; i < 4; ++i) {
    out_[offset + i] = static_cast<std::byte>((u >> (8 * (3 - i))) & 0xFF);
  }
}

}  // namespace tandem::protocol
