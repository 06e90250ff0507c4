// Small views of a request body the session needs on every request: where the message starts
// after a custom payload, the statement text of a QUERY or PREPARE, the id of an EXECUTE.
#pragma once

#include "protocol/error.hpp"
#include "protocol/frame.hpp"
#include "protocol/types.hpp"

#include <optional>
#include <string_view>

namespace tandem::protocol {

// spec v4 §2.2 flag 0x04: a request's custom payload ([bytes map]) comes first in its body.
// Returns the offset of the message proper.
protocol::result<std::size_t> message_offset(const protocol::frame_header& h,
                                             protocol::bytes_view body);

// QUERY and PREPARE start with the statement as a [long string].
protocol::result<std::string_view> statement_text(protocol::bytes_view message);

// EXECUTE starts with the prepared id as [short bytes].
protocol::result<protocol::bytes_view> execute_id(protocol::bytes_view message);

// A QUERY or PREPARE message with its statement text replaced, the rest byte-identical.
protocol::bytes with_statement_text(protocol::bytes_view message, std::string_view old_text,
                                    std::string_view new_text);

// The paging state a QUERY or EXECUTE message carries (flag 0x08, spec v4 §4.1.4): present
// when the client asks for the next page of an earlier read. nullopt when absent or unreadable.
std::optional<protocol::bytes_view> request_paging_state(protocol::opcode op,
                                                         protocol::protocol_version v,
                                                         protocol::bytes_view message);

// Where a response's message starts: after the tracing id, warnings and custom payload its
// header's flags announce (spec v4 §2.2).
protocol::result<std::size_t> response_message_offset(const protocol::frame_header& h,
                                                      protocol::bytes_view body);

// A response's message: its body after that prefix; the whole body when the prefix cannot be
// read. Every reader of an answer's ERROR code or RESULT kind starts here: a traced request's
// answer, an ERROR included, begins with its tracing id (spec v4 §2.2, flag 0x02).
protocol::bytes_view response_message(const protocol::frame_header& h, protocol::bytes_view body);

// The paging state of a RESULT Rows answer with more pages (spec v4 §4.2.5.2), after the
// tracing id, warnings and custom payload the header's flags announce. nullopt otherwise.
std::optional<protocol::bytes_view> result_paging_state(const protocol::frame_header& h,
                                                        protocol::bytes_view body);

// prefix (custom payload) + message.
protocol::bytes join(protocol::bytes_view prefix, protocol::bytes_view message);

}  // namespace tandem::protocol
