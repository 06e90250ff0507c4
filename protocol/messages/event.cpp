#include "protocol/messages/event.hpp"

#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"

#include <string_view>

namespace tandem::protocol {
namespace {

constexpr std::string_view topology_change_name = "TOPOLOGY_CHANGE";
constexpr std::string_view status_change_name = "STATUS_CHANGE";
constexpr std::string_view schema_change_name = "SCHEMA_CHANGE";

template <class Event>
result<event_message> read_node_event(wire_reader& r) {
  TANDEM_TRY(auto change, r.read_string());
  TANDEM_TRY(auto node, r.read_inet());
  return event_message{Event{std::string(change), node}};
}

}  // namespace

result<event_message> decode_event(bytes_view body, protocol_version v) {
  wire_reader r(body);
  TANDEM_TRY(auto type, r.read_string());
  if (type == topology_change_name) {
    return read_node_event<topology_change_event>(r);
  }
  if (type == status_change_name) {
    return read_node_event<status_change_event>(r);
  }
  if (type == schema_change_name) {
    TANDEM_TRY(auto change, decode_schema_change(r, v));
    return event_message{std::move(change)};
  }
  return errc::bad_value;
}

bytes encode_event(const event_message& m, protocol_version v) {
  wire_writer w;
  if (const auto* topology = std::get_if<topology_change_event>(&m)) {
    w.write_string(topology_change_name);
    w.write_string(topology->change);
    w.write_inet(topology->node);
  } else if (const auto* status = std::get_if<status_change_event>(&m)) {
    w.write_string(status_change_name);
    w.write_string(status->change);
    w.write_inet(status->node);
  } else if (const auto* change = std::get_if<schema_change>(&m)) {
    w.write_string(schema_change_name);
    encode_schema_change(w, *change, v);
  }
  return w.take();
}

}  // namespace tandem::protocol
