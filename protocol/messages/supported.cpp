#include "protocol/messages/supported.hpp"

#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"

namespace tandem::protocol {

result<supported_message> decode_supported(bytes_view body, protocol_version /*v*/) {
  wire_reader r(body);
  TANDEM_TRY(auto options, r.read_string_multimap());
  return supported_message{std::move(options)};
}

bytes encode_supported(const supported_message& m, protocol_version /*v*/) {
  wire_writer w;
  w.write_string_multimap(m.options);
  return w.take();
}

result<ready_message> decode_ready(bytes_view /*body*/, protocol_version /*v*/) {
  return ready_message{};
}

bytes encode_ready(const ready_message& /*m*/, protocol_version /*v*/) { return {}; }

}  // namespace tandem::protocol
