// Literal CQL values that stand in for nondeterministic function calls in mirrored writes, so
// both clusters store the same value (now() evaluated twice would give two timeuuids).
// Pure: the time and the random bits come from the caller.
#pragma once

#include "protocol/cql/classifier.hpp"
#include "protocol/types.hpp"

#include <array>
#include <cstdint>
#include <string>

namespace tandem::proxy {

struct literal_inputs {
  std::int64_t micros_since_epoch = 0;   // the write's pinned timestamp
  std::array<std::uint8_t, 16> random{};  // for uuid() and the timeuuid's clock/node bits
};

// The literal text for one call, e.g. now() -> a version-1 UUID of that microsecond,
// uuid() -> a random version-4 UUID, currentTimestamp() -> the millisecond count,
// currentDate() -> '2026-11-24', currentTime() -> '13:05:01.123456000'.
std::string literal_for(protocol::cql::nondeterministic_function f, const literal_inputs& in);

// The 16 bytes of the same value, for a bound value of type timeuuid/uuid/timestamp/date/time
// (the serialised form of spec v4 §6).
protocol::bytes value_for(protocol::cql::nondeterministic_function f, const literal_inputs& in);

}  // namespace tandem::proxy
