#include "protocol/messages/register.hpp"

#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"

namespace tandem::protocol {

result<register_message> decode_register(bytes_view body, protocol_version /*v*/) {
  wire_reader r(body);
  register_message m;
  TANDEM_TRY(m.events, r.read_string_list());
  if (!r.empty()) {
    return errc::trailing_bytes;
  }
  return m;
}

bytes encode_register(const register_message& m, protocol_version /*v*/) {
  wire_writer w;
  w.write_string_list(m.events);
  return w.take();
}

}  // namespace tandem::protocol
