// EVENT (spec v4 §4.2.6, spec v5 §4.2.6): a [string] event type, then
//   "TOPOLOGY_CHANGE": <change: [string]><node: [inet]>   change "NEW_NODE", "REMOVED_NODE"
//                                                         (Cassandra also sends "MOVED_NODE")
//   "STATUS_CHANGE":   <change: [string]><node: [inet]>   change "UP" or "DOWN"
//   "SCHEMA_CHANGE":   the schema change body shared with the Schema_change result.
// Change strings are kept as sent: their values do not change the layout, and the proxy
// forwards events it does not interpret.
// A response: decode_event ignores bytes after the content (spec v4 §4.2).
#pragma once

#include "protocol/error.hpp"
#include "protocol/messages/result.hpp"
#include "protocol/types.hpp"

#include <string>
#include <variant>

namespace tandem::protocol {

struct topology_change_event {
  std::string change;
  inet node;

  friend bool operator==(const topology_change_event&, const topology_change_event&) = default;
};

struct status_change_event {
  std::string change;
  inet node;

  friend bool operator==(const status_change_event&, const status_change_event&) = default;
};

using event_message = std::variant<topology_change_event, status_change_event, schema_change>;

// Decodes an EVENT body. Errors: truncated, bad_value (an unknown event type, an [inet] of a
// size other than 4 or 16, or a bad schema change — see decode_schema_change).
result<event_message> decode_event(bytes_view body, protocol_version v);

// Encodes an EVENT body (a FUNCTION/AGGREGATE schema change is downgraded in v3, see
// encode_schema_change).
bytes encode_event(const event_message& m, protocol_version v);

}  // namespace tandem::protocol
