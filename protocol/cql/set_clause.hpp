// What the SET clause of an UPDATE says about replaying it (proxy/journal_replay.hpp): whether
// it looks like a counter update or a list append/prepend, neither of which is idempotent.
// Syntax only: without the schema a list or set column with a bind marker looks like a counter.
#pragma once

#include "protocol/cql/token_scan.hpp"

namespace tandem::protocol::cql {

// SET c = c + x, c = c - x, c += x, c -= x with x a number or a bind marker.
bool looks_like_counter_update(token_span update);
// SET l = l + [...], l += [...], l = [...] + l, l = ? + l.
bool looks_like_list_append(token_span update);

}  // namespace tandem::protocol::cql
