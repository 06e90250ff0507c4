// A cell as JSON for the validation report: numbers, text, booleans and UUIDs readable, every
// other type (collections, blobs, user types, ...) as "0x<hex>" (spec v4 §6 gives the
// encodings). Pure.
#pragma once

#include "protocol/types.hpp"

#include <boost/json/value.hpp>

#include <optional>
#include <string>

namespace tandem::backfill {

// `type` as system_schema.columns spells it ("int", "text", "frozen<list<int>>", ...).
boost::json::value value_json(const std::string& type, const std::optional<protocol::bytes>& cell);

}  // namespace tandem::backfill
