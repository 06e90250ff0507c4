#include "backfill/cell_values.hpp"

#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"

#include <bit>
#include <cstring>

namespace tandem::backfill {

protocol::value text_value(const std::string& s) {
  const auto* p = reinterpret_cast<const std::byte*>(s.data());
  return protocol::value::of(protocol::bytes(p, p + s.size()));
}

protocol::value long_value(std::int64_t v) {
  protocol::wire_writer w;
  w.write_long(v);
  return protocol::value::of(w.take());
}

protocol::value int_value(std::int32_t v) {
  protocol::wire_writer w;
  w.write_int(v);
  return protocol::value::of(w.take());
}

protocol::value double_value(double v) { return long_value(std::bit_cast<std::int64_t>(v)); }

protocol::value blob_value(const std::optional<protocol::bytes>& b) {
  return b ? protocol::value::of(*b) : protocol::value::null();
}

std::optional<std::int64_t> read_long(const std::optional<protocol::bytes>& cell) {
  if (!cell || cell->size() != 8) {
    return std::nullopt;
  }
  protocol::wire_reader r{protocol::bytes_view(*cell)};
  auto v = r.read_long();
  return v ? std::optional<std::int64_t>(*v) : std::nullopt;
}

std::optional<std::int32_t> read_int(const std::optional<protocol::bytes>& cell) {
  if (!cell || cell->size() != 4) {
    return std::nullopt;
  }
  protocol::wire_reader r{protocol::bytes_view(*cell)};
  auto v = r.read_int();
  return v ? std::optional<std::int32_t>(*v) : std::nullopt;
}

std::optional<double> read_double(const std::optional<protocol::bytes>& cell) {
  const auto v = read_long(cell);
  return v ? std::optional<double>(std::bit_cast<double>(*v)) : std::nullopt;
}

std::string read_text(const std::optional<protocol::bytes>& cell) {
  if (!cell) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(cell->data()), cell->size());
}

std::string hex_of(const protocol::bytes& b) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(b.size() * 2);
  for (auto x : b) {
    out += digits[std::to_integer<unsigned>(x) >> 4];
    out += digits[std::to_integer<unsigned>(x) & 15];
  }
  return out;
}

}  // namespace tandem::backfill
