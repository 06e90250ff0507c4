// Value types of the CQL native protocol's primitives (spec v4 §3, spec v5 §3).
// Decoded messages own their data; the wire_reader hands out views into its input.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tandem::protocol {

using bytes = std::vector<std::byte>;
using bytes_view = std::span<const std::byte>;

// The bytes as the C libraries (lz4, snappy) take them.
inline const char* char_data(bytes_view b) noexcept {
  return reinterpret_cast<const char*>(b.data());
}
inline char* char_data(bytes& b) noexcept { return reinterpret_cast<char*>(b.data()); }

// Protocol versions this library speaks. Frames of any other version are rejected with
// errc::unsupported_version so the caller can answer with the PROTOCOL_ERROR of spec v4 §9.
enum class protocol_version : std::uint8_t { v3 = 3, v4 = 4, v5 = 5 };

constexpr bool is_supported_version(std::uint8_t v) noexcept { return v >= 3 && v <= 5; }

// [consistency] (spec v4 §3).
enum class consistency : std::uint16_t {
  any = 0x0000,
  one = 0x0001,
  two = 0x0002,
  three = 0x0003,
  quorum = 0x0004,
  all = 0x0005,
  local_quorum = 0x0006,
  each_quorum = 0x0007,
  serial = 0x0008,
  local_serial = 0x0009,
  local_one = 0x000A,
};

constexpr bool is_valid_consistency(std::uint16_t v) noexcept { return v <= 0x000A; }

// [uuid]: 16 bytes.
using uuid = std::array<std::byte, 16>;

// [inet]: an address of 4 or 16 bytes and an [int] port. [inetaddr] is the same without port.
struct inet {
  std::array<std::uint8_t, 16> address{};
  std::uint8_t address_size = 4;  // 4 (IPv4) or 16 (IPv6)
  std::int32_t port = 0;

  friend bool operator==(const inet&, const inet&) = default;
};

// [value] (spec v4 §3): bytes, or null (length -1), or unset (length -2, v4+).
struct value {
  enum class kind : std::uint8_t { set, null, unset };
  kind state = kind::null;
  bytes data;

  static value of(bytes b) { return value{kind::set, std::move(b)}; }
  static value null() { return value{kind::null, {}}; }
  static value unset() { return value{kind::unset, {}}; }
  friend bool operator==(const value&, const value&) = default;
};

struct value_view {
  value::kind state = value::kind::null;
  bytes_view data;
};

using string_list = std::vector<std::string>;
using string_map = std::map<std::string, std::string>;
using string_multimap = std::map<std::string, string_list>;
// [bytes map]: the custom payload of frames with the custom-payload flag; a null [bytes] maps
// to std::nullopt.
using bytes_map = std::map<std::string, std::optional<bytes>>;

// [option] describing a column type (spec v4 §4.2.5.2).
enum class type_id : std::uint16_t {
  custom = 0x0000,
  ascii = 0x0001,
  bigint = 0x0002,
  blob = 0x0003,
  boolean = 0x0004,
  counter = 0x0005,
  decimal = 0x0006,
  double_ = 0x0007,
  float_ = 0x0008,
  int_ = 0x0009,
  timestamp = 0x000B,
  uuid = 0x000C,
  varchar = 0x000D,
  varint = 0x000E,
  timeuuid = 0x000F,
  inet = 0x0010,
  date = 0x0011,
  time = 0x0012,
  smallint = 0x0013,
  tinyint = 0x0014,
  duration = 0x0015,  // v5
  list = 0x0020,
  map = 0x0021,
  set = 0x0022,
  udt = 0x0030,
  tuple = 0x0031,
};

struct data_type {
  type_id id = type_id::blob;
  std::string custom_class;                 // type_id::custom
  std::vector<data_type> params;            // list/set: 1, map: 2, tuple: n, udt: one per field
  std::string udt_keyspace;                 // type_id::udt
  std::string udt_name;                     // type_id::udt
  std::vector<std::string> udt_field_names; // type_id::udt, parallel to params

  friend bool operator==(const data_type&, const data_type&) = default;
};

}  // namespace tandem::protocol
