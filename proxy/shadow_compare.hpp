// Shadow reads (admin API): a sampled read is also sent to the secondary and the two answers'
// rows are compared here, cell by cell, so an operator can see before cutover whether the
// target would answer the same. Pure: two RESULT frames in, a verdict out.
#pragma once

#include "protocol/connection_codec.hpp"

#include <optional>
#include <string>

namespace tandem::proxy {

struct shadow_verdict {
  bool comparable = true;  // false: not two Rows answers (an error on one side, ...)
  std::optional<std::string> mismatch;  // what differs, with the first differing row's key
};

// Compares the rows of two RESULT frames of version v. The "key" of a row is its first cell
// (in hex), which for a SELECT * is the partition key's first column.
shadow_verdict compare_rows(const protocol::owned_frame& primary,
                            const protocol::owned_frame& secondary, protocol::protocol_version v);

}  // namespace tandem::proxy
