#include "protocol/error.hpp"

#include <string>

namespace tandem::protocol {
namespace {

class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "cql-protocol"; }

  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::ok: return "success";
      case errc::truncated: return "message truncated: a length points past the end of the data";
      case errc::frame_too_long: return "frame or segment longer than the configured maximum";
      case errc::unsupported_version: return "unsupported protocol version";
      case errc::bad_direction: return "frame has the wrong direction bit";
      case errc::unknown_opcode: return "unknown opcode";
      case errc::negative_length: return "negative length";
      case errc::bad_value: return "field holds a value the protocol does not allow";
      case errc::trailing_bytes: return "message body has bytes after its content";
      case errc::crc_mismatch: return "checksum mismatch";
      case errc::decompression_failed: return "decompression failed";
      case errc::compression_failed: return "compression failed";
      case errc::not_a_request_with_parameters: return "message has no query parameters to edit";
      case errc::cql_unterminated: return "unterminated string, quoted name or comment in CQL text";
    }
    return "unknown protocol error";
  }
};

}  // namespace

const boost::system::error_category& protocol_category() noexcept {
  static const category instance;
  return instance;
}

}  // namespace tandem::protocol
