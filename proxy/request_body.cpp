#include "proxy/request_body.hpp"

#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"

namespace tandem::proxy {

protocol::result<std::size_t> message_offset(const protocol::frame_header& h,
                                             protocol::bytes_view body) {
  if ((h.flags & protocol::frame_flags::custom_payload) == 0 ||
      h.version == protocol::protocol_version::v3) {
    return std::size_t{0};
  }
  protocol::wire_reader r(body);
  TANDEM_TRY_VOID(r.read_bytes_map());
  return r.position();
}

protocol::result<std::string_view> statement_text(protocol::bytes_view message) {
  protocol::wire_reader r(message);
  return r.read_long_string();
}

protocol::result<protocol::bytes_view> execute_id(protocol::bytes_view message) {
  protocol::wire_reader r(message);
  return r.read_short_bytes();
}

protocol::bytes with_statement_text(protocol::bytes_view message, std::string_view old_text,
                                    std::string_view new_text) {
  protocol::wire_writer w;
  w.write_long_string(new_text);
  w.write_raw(message.subspan(4 + old_text.size()));
  return w.take();
}

protocol::bytes join(protocol::bytes_view prefix, protocol::bytes_view message) {
  protocol::bytes out;
  out.reserve(prefix.size() + message.size());
  out.insert(out.end(), prefix.begin(), prefix.end());
  out.insert(out.end(), message.begin(), message.end());
  return out;
}

}  // namespace tandem::proxy
