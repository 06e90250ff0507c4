// Prepared writes that call now(), uuid() and the other nondeterministic functions (issue 3):
// each call is replaced by a bind marker with a type hint, `(timeuuid)?`, before the PREPARE
// goes to both clusters, and the proxy supplies one value per marker at each EXECUTE, the same
// for both, so both clusters store the same timeuuid. The client never sees the added markers:
// they are removed from the PREPARED answer's bind metadata (spec v4 §4.2.5.4) and their values
// are placed at their positions in the EXECUTE's values. Pure: text and messages in and out.
#pragma once

#include "protocol/cql/classifier.hpp"
#include "protocol/error.hpp"
#include "protocol/messages/query_parameters.hpp"
#include "protocol/messages/result_metadata.hpp"
#include "proxy/literal_values.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::proxy {

// One bind marker the proxy added in place of a call.
struct added_marker {
  protocol::cql::nondeterministic_function function = protocol::cql::nondeterministic_function::now;
  std::uint16_t index = 0;  // its position among all bind markers of the rewritten text
  std::string name;         // the marker's name in the PREPARED metadata (for named values)

  friend bool operator==(const added_marker&, const added_marker&) = default;
};

struct prepare_rewrite {
  std::string text;  // the statement as prepared on the clusters
  std::vector<added_marker> markers;
};

// The CQL type a call's value has: now() -> timeuuid, uuid() -> uuid, ...
const char* value_type(protocol::cql::nondeterministic_function f) noexcept;

// The rewritten statement, or nullopt when `info` lists no call. A statement with named markers
// gets named ones (:tandem_value_1, ...), otherwise positional ones: Cassandra binds the two
// styles the same way, but a client's named values must keep matching by name.
std::optional<prepare_rewrite> rewrite_for_prepare(std::string_view text,
                                                   const protocol::cql::statement_info& info);

// Removes the added markers from the bind metadata a cluster returned for the rewritten text,
// fills each marker's name from it, and renumbers the partition-key indexes; when an added
// marker is itself part of the partition key, no indexes are given (the client then computes
// no routing token, which a proxy does not need). bad_value when the metadata does not have
// one column per marker of the rewritten text (`markers_in_text` of them).
protocol::result<void> hide_added_markers(protocol::prepared_metadata& metadata,
                                          std::vector<added_marker>& markers,
                                          std::size_t markers_in_text);

// The client's values with the added markers' values in place: inserted at their indexes for
// positional values, appended under their names for named values (flag 0x40). bad_value when
// the client sent fewer values than the positions need, or inputs (one per marker: each
// uuid() gets its own random bits) are fewer than the markers.
protocol::result<void> insert_added_values(std::vector<protocol::value>& values,
                                           std::vector<std::string>* names,
                                           const std::vector<added_marker>& markers,
                                           const std::vector<literal_inputs>& inputs);

}  // namespace tandem::proxy
