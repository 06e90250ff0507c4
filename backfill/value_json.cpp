#include "backfill/value_json.hpp"

#include "backfill/cell_values.hpp"

#include <bit>
#include <cstring>

namespace tandem::backfill {
namespace {

std::int64_t big_endian(const protocol::bytes& b) {
  std::uint64_t v = 0;
  for (auto x : b) v = (v << 8) | std::to_integer<std::uint64_t>(x);
  // Sign-extend from the cell's width.
  const unsigned bits = static_cast<unsigned>(b.size() * 8);
  if (bits > 0 && bits < 64 && (v >> (bits - 1)) & 1) {
    v |= ~std::uint64_t{0} << bits;
  }
  return static_cast<std::int64_t>(v);
}

std::string uuid_text(const protocol::bytes& b) {
  const std::string h = hex_of(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

}  // namespace

boost::json::value value_json(const std::string& type, const std::optional<protocol::bytes>& cell) {
  if (!cell) {
    return nullptr;
  }
  const auto& b = *cell;
  const std::size_t n = b.size();
  if (type == "text" || type == "varchar" || type == "ascii") {
    return boost::json::value(read_text(cell));
  }
  if ((type == "int" && n == 4) || (type == "bigint" && n == 8) || (type == "counter" && n == 8) ||
      (type == "smallint" && n == 2) || (type == "tinyint" && n == 1) ||
      (type == "timestamp" && n == 8) || (type == "time" && n == 8)) {
    return boost::json::value(big_endian(b));
  }
  if (type == "boolean" && n == 1) {
    return boost::json::value(b[0] != std::byte{0});
  }
  if (type == "double" && n == 8) {
    return boost::json::value(std::bit_cast<double>(static_cast<std::uint64_t>(big_endian(b))));
  }
  if (type == "float" && n == 4) {
    return boost::json::value(static_cast<double>(
        std::bit_cast<float>(static_cast<std::uint32_t>(big_endian(b)))));
  }
  if ((type == "uuid" || type == "timeuuid") && n == 16) {
    return boost::json::value(uuid_text(b));
  }
  return boost::json::value("0x" + hex_of(b));
}

}  // namespace tandem::backfill
