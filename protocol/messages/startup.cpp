#include "protocol/messages/startup.hpp"

#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"

namespace tandem::protocol {

result<startup_message> decode_startup(bytes_view body, protocol_version /*v*/) {
  wire_reader r(body);
  startup_message m;
  TANDEM_TRY(m.options, r.read_string_map());
  if (!r.empty()) {
    return errc::trailing_bytes;
  }
  return m;
}

bytes encode_startup(const startup_message& m, protocol_version /*v*/) {
  wire_writer w;
  w.write_string_map(m.options);
  return w.take();
}

result<options_message> decode_options(bytes_view body, protocol_version /*v*/) {
  // spec v4 §4.1.3: "The body of an OPTIONS message should be empty".
  if (!body.empty()) {
    return errc::trailing_bytes;
  }
  return options_message{};
}

bytes encode_options(const options_message& /*m*/, protocol_version /*v*/) { return {}; }

}  // namespace tandem::protocol
