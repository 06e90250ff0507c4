// Whole messages: every message kind of spec v4 §4 / spec v5 §4 in one variant, and the
// envelope that carries one — the frame header, the body prefix its flags announce, and the
// message. Most of the proxy forwards frames raw (DESIGN.md); this is for the frames it must
// read, for tests, and for tools.
//
// Body prefix (spec v4 §2.2, spec v5 §2.4.1.2), in this order, each present when its flag is:
//   [<tracing id: [uuid]>]          tracing flag 0x02, responses only (on a request the flag
//                                   asks for tracing and carries nothing)
//   [<warnings: [string list]>]     warning flag 0x08, responses only (as Cassandra reads it)
//   [<custom payload: [bytes map]>] custom payload flag 0x04, either direction
// Warnings and custom payloads are new in v4 (spec v4 §10); in v3 those bits are "unused and
// ignored", so they are neither read nor written there.
#pragma once

#include "protocol/error.hpp"
#include "protocol/frame.hpp"
#include "protocol/messages/auth.hpp"
#include "protocol/messages/batch.hpp"
#include "protocol/messages/error_message.hpp"
#include "protocol/messages/event.hpp"
#include "protocol/messages/execute.hpp"
#include "protocol/messages/prepare.hpp"
#include "protocol/messages/query.hpp"
#include "protocol/messages/register.hpp"
#include "protocol/messages/result.hpp"
#include "protocol/messages/startup.hpp"
#include "protocol/messages/supported.hpp"
#include "protocol/types.hpp"

#include <optional>
#include <variant>

namespace tandem::protocol {

using message =
    std::variant<startup_message, options_message, auth_response_message, query_message,
                 prepare_message, execute_message, batch_message, register_message, error_message,
                 ready_message, authenticate_message, supported_message, result_message,
                 event_message, auth_challenge_message, auth_success_message>;

// The opcode a message is sent with; its direction is is_request_opcode(opcode_of(m)).
opcode opcode_of(const message& m) noexcept;

// Decodes a message body (without the prefix above) of the given opcode. Requests reject bytes
// after their content (errc::trailing_bytes); responses ignore them. Errors: those of the
// message's decoder.
result<message> decode_message(opcode op, bytes_view body, protocol_version v);
bytes encode_message(const message& m, protocol_version v);

struct envelope {
  // The header as received. encode_envelope takes the opcode and direction from the body, the
  // tracing/warning/custom-payload bits from the fields below, and the length from the body.
  frame_header header;
  std::optional<uuid> tracing_id;        // responses with the tracing flag
  string_list warnings;                  // responses with the warning flag (v4+)
  std::optional<bytes_map> custom_payload;  // the custom payload flag (v4+)
  message body;

  friend bool operator==(const envelope&, const envelope&) = default;
};

// Decodes a complete frame (from decode_frame). The body must already be decompressed: a v3/v4
// frame with the compression flag gives errc::bad_value — decompress it first with
// compression.hpp and clear the flag. (In v5 the flag is ignored, spec v5 §2.4.1.2: compression
// is done per segment.) Errors: bad_value, bad_direction (a request opcode in a response frame
// or the reverse), truncated, and those of the message's decoder.
result<envelope> decode_envelope(const frame_view& f);

// Encodes a whole frame: the 9-byte header and the uncompressed body. Header fields:
// - op and is_response come from the body;
// - responses: tracing flag set exactly when tracing_id is present; warning flag set when
//   warnings is non-empty or the header already had it (then the list is written, even empty,
//   so a decoded frame re-encodes byte for byte);
// - requests: the tracing and warning bits are kept as in the header; tracing_id and warnings
//   are not written (they do not exist on requests);
// - v4+: custom payload flag set exactly when custom_payload is present;
// - v3: the warning and custom payload bits are kept as in the header (they mean nothing
//   there); warnings and custom_payload are not written;
// - v3/v4: the compression flag is cleared (the body written is not compressed); v5 keeps it.
// Other flag bits (use_beta, unknown bits) are kept.
bytes encode_envelope(const envelope& e);

}  // namespace tandem::protocol
