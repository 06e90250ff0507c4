#include "protocol/request_body.hpp"

#include "protocol/buffer_pool.hpp"

#include "protocol/request_edit.hpp"
#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"

namespace tandem::protocol {

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

std::optional<protocol::bytes_view> request_paging_state(protocol::opcode op,
                                                         protocol::protocol_version v,
                                                         protocol::bytes_view message) {
  auto at = protocol::locate_parameters(op, v, message);
  if (!at || (at->flag_bits & 0x08) == 0) {
    return std::nullopt;
  }
  protocol::wire_reader r(message.subspan(at->values_end));
  if ((at->flag_bits & 0x04) != 0 && !r.read_int()) {
    return std::nullopt;
  }
  auto state = r.read_bytes();
  if (!state || !*state) {
    return std::nullopt;
  }
  return **state;
}

protocol::result<std::size_t> response_message_offset(const protocol::frame_header& h,
                                                      protocol::bytes_view body) {
  protocol::wire_reader r(body);
  if ((h.flags & protocol::frame_flags::tracing) != 0) {
    TANDEM_TRY_VOID(r.read_uuid());
  }
  if ((h.flags & protocol::frame_flags::warning) != 0) {
    TANDEM_TRY_VOID(r.read_string_list());
  }
  if ((h.flags & protocol::frame_flags::custom_payload) != 0) {
    TANDEM_TRY_VOID(r.read_bytes_map());
  }
  return r.position();
}

protocol::bytes_view response_message(const protocol::frame_header& h, protocol::bytes_view body) {
  auto offset = response_message_offset(h, body);
  return offset ? body.subspan(*offset) : body;
}

std::optional<protocol::bytes_view> result_paging_state(const protocol::frame_header& h,
                                                        protocol::bytes_view body) {
  auto offset = response_message_offset(h, body);
  if (!offset) {
    return std::nullopt;
  }
  protocol::wire_reader r(body.subspan(*offset));
  auto kind = r.read_int();
  auto flags = kind ? r.read_int() : protocol::result<std::int32_t>(kind.error());
  if (!flags || *kind != 0x0002 || (*flags & 0x0002) == 0 || !r.read_int()) {
    return std::nullopt;
  }
  auto state = r.read_bytes();
  if (!state || !*state) {
    return std::nullopt;
  }
  return **state;
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
  protocol::bytes out = protocol::buffer_pool::take();
  out.reserve(prefix.size() + message.size());
  out.insert(out.end(), prefix.begin(), prefix.end());
  out.insert(out.end(), message.begin(), message.end());
  return out;
}

}  // namespace tandem::protocol
