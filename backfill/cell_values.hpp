// Encoding and decoding of the few CQL values the backfill and the validation build or read
// themselves (spec v4 §6: bigint and int are big-endian, text is UTF-8 bytes). One place, so
// that the state tables, the plans and the copy statements agree on them.
#pragma once

#include "protocol/types.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace tandem::backfill {

protocol::value text_value(const std::string& s);
protocol::value long_value(std::int64_t v);
protocol::value int_value(std::int32_t v);
protocol::value double_value(double v);
protocol::value blob_value(const std::optional<protocol::bytes>& b);  // null when absent

// std::nullopt when the cell is null or has the wrong size.
std::optional<std::int64_t> read_long(const std::optional<protocol::bytes>& cell);
std::optional<std::int32_t> read_int(const std::optional<protocol::bytes>& cell);
std::optional<double> read_double(const std::optional<protocol::bytes>& cell);
std::string read_text(const std::optional<protocol::bytes>& cell);  // "" when null

// Lower-case hex of a blob (table ids, report values of types without a text form).
std::string hex_of(const protocol::bytes& b);

}  // namespace tandem::backfill
