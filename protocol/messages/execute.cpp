#include "protocol/messages/execute.hpp"

namespace tandem::protocol {

result<execute_message> decode_execute(bytes_view body, protocol_version v) {
  wire_reader r(body);
  execute_message m;
  TANDEM_TRY(auto id, r.read_short_bytes());
  m.id.assign(id.begin(), id.end());
  // v5 sends the result metadata id the server returned with PREPARED (spec v5 §4.1.6).
  if (v == protocol_version::v5) {
    TANDEM_TRY(auto meta_id, r.read_short_bytes());
    m.result_metadata_id.emplace(meta_id.begin(), meta_id.end());
  }
  TANDEM_TRY(m.params, decode_query_parameters(r, v));
  if (!r.empty()) {
    return errc::trailing_bytes;
  }
  return m;
}

bytes encode_execute(const execute_message& m, protocol_version v) {
  wire_writer w;
  w.write_short_bytes(m.id);
  if (v == protocol_version::v5) {
    w.write_short_bytes(m.result_metadata_id ? bytes_view{*m.result_metadata_id} : bytes_view{});
  }
  encode_query_parameters(w, m.params, v);
  return w.take();
}

}  // namespace tandem::protocol
