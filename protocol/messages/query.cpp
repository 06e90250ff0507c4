#include "protocol/messages/query.hpp"

namespace tandem::protocol {

result<query_message> decode_query(bytes_view body, protocol_version v) {
  wire_reader r(body);
  query_message m;
  TANDEM_TRY(auto text, r.read_long_string());
  m.query = text;
  TANDEM_TRY(m.params, decode_query_parameters(r, v));
  if (!r.empty()) {
    return errc::trailing_bytes;
  }
  return m;
}

bytes encode_query(const query_message& m, protocol_version v) {
  wire_writer w;
  w.write_long_string(m.query);
  encode_query_parameters(w, m.params, v);
  return w.take();
}

}  // namespace tandem::protocol
