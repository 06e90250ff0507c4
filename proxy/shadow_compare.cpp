#include "proxy/shadow_compare.hpp"

#include "protocol/messages/result.hpp"
#include "protocol/request_body.hpp"

#include <algorithm>

namespace tandem::proxy {
namespace {

std::string hex(const std::optional<protocol::bytes>& cell) {
  if (!cell) {
    return "null";
  }
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "0x";
  for (std::size_t i = 0; i < cell->size() && i < 32; ++i) {
    const auto b = std::to_integer<unsigned>((*cell)[i]);
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return cell->size() > 32 ? out + "..." : out;
}

std::optional<protocol::rows_result> rows_of(const protocol::owned_frame& f,
                                             protocol::protocol_version v) {
  if (f.header.op != protocol::opcode::result) {
    return std::nullopt;
  }
  auto offset = protocol::response_message_offset(f.header, f.body);
  if (!offset) {
    return std::nullopt;
  }
  auto decoded = protocol::decode_result(protocol::bytes_view(f.body).subspan(*offset), v);
  if (!decoded || !std::holds_alternative<protocol::rows_result>(*decoded)) {
    return std::nullopt;
  }
  return std::get<protocol::rows_result>(std::move(*decoded));
}

}  // namespace

shadow_verdict compare_rows(const protocol::owned_frame& primary,
                            const protocol::owned_frame& secondary, protocol::protocol_version v) {
  auto a = rows_of(primary, v);
  auto b = rows_of(secondary, v);
  if (!a || !b) {
    return shadow_verdict{false, std::nullopt};
  }
  if (a->rows.size() != b->rows.size()) {
    return {true, std::to_string(a->rows.size()) + " rows on the primary, " +
                      std::to_string(b->rows.size()) + " on the secondary"};
  }
  for (std::size_t i = 0; i < a->rows.size(); ++i) {
    const auto& ra = a->rows[i];
    const auto& rb = b->rows[i];
    if (ra == rb) {
      continue;
    }
    std::string column;
    for (std::size_t j = 0; j < std::min(ra.size(), rb.size()); ++j) {
      if (ra[j] != rb[j]) {
        column = j < a->metadata.columns.size() ? a->metadata.columns[j].name
                                                 : "#" + std::to_string(j);
        break;
      }
    }
    return {true, "row " + std::to_string(i) + " (key " + hex(ra.empty() ? std::nullopt : ra[0]) +
                      ") differs" + (column.empty() ? std::string() : " in column " + column)};
  }
  return {true, std::nullopt};
}

}  // namespace tandem::proxy
