#include "protocol/messages/prepare.hpp"

#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"

namespace tandem::protocol {

result<prepare_message> decode_prepare(bytes_view body, protocol_version v) {
  wire_reader r(body);
  prepare_message m;
  TANDEM_TRY(auto text, r.read_long_string());
  m.query = text;
  // v5 adds <flags><keyspace> after the query (spec v5 §4.1.5); v3/v4 stop at the query.
  if (v == protocol_version::v5) {
    TANDEM_TRY(auto raw_flags, r.read_int());
    const auto flags = static_cast<std::uint32_t>(raw_flags);
    if ((flags & ~prepare_flags::keyspace) != 0) {
      return errc::bad_value;
    }
    if ((flags & prepare_flags::keyspace) != 0) {
      TANDEM_TRY(auto ks, r.read_string());
      m.keyspace.emplace(ks);
    }
  }
  if (!r.empty()) {
    return errc::trailing_bytes;
  }
  return m;
}

bytes encode_prepare(const prepare_message& m, protocol_version v) {
  wire_writer w;
  w.write_long_string(m.query);
  if (v == protocol_version::v5) {
    w.write_int(m.keyspace ? static_cast<std::int32_t>(prepare_flags::keyspace) : 0);
    if (m.keyspace) {
      w.write_string(*m.keyspace);
    }
  }
  return w.take();
}

}  // namespace tandem::protocol
