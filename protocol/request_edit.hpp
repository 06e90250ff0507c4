// In-place editing of request bodies without re-encoding them (DESIGN.md: frames travel raw).
// The proxy pins one default timestamp on every mirrored write, swaps prepared ids between the
// two clusters, and adds a bind value when it replaces now(); each edit here scans the body
// once to find byte offsets (skipping values without copying them) and splices, so every byte
// it does not mean to change stays byte-identical.
//
// Every function takes the BODY of the message only: the part after the frame header and after
// any custom payload prefix (spec v4 §4, frame flag 0x04). The scan validates exactly what the
// message decoders validate (known flags, consistency values, no unset value in v3, no trailing
// bytes, ...), so an edit fails where decode_query / decode_execute / decode_batch would fail,
// with the same error code, and succeeds where they succeed.
#pragma once

#include "protocol/error.hpp"
#include "protocol/frame.hpp"
#include "protocol/types.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

namespace tandem::protocol {

// Where the fields of a request's parameter block lie, as byte offsets into the body.
// For QUERY and EXECUTE this is <query_parameters> (spec v5 §4.1.4); for BATCH the block after
// the children: <consistency><flags>[<serial_consistency>][<timestamp>][<keyspace>][<now>].
struct parameter_locations {
  std::size_t consistency = 0;  // offset of <consistency>
  std::size_t flags = 0;        // offset of <flags>
  std::size_t flags_size = 1;   // 1 ([byte], v3/v4) or 4 ([int], v5)
  std::uint32_t flag_bits = 0;  // the flags as read
  // QUERY/EXECUTE with flag 0x01: offset of the [short] value count. std::nullopt otherwise.
  std::optional<std::size_t> value_count;
  std::uint16_t values = 0;     // the value count (0 without flag 0x01, and for BATCH)
  // Offset just after the last value (QUERY/EXECUTE): where one more value goes. Just after
  // <flags> when there are no values; for BATCH, equal to `flags + flags_size`.
  std::size_t values_end = 0;
  // Offset of the [long] <timestamp> if flag 0x20 is set, otherwise where it would be inserted
  // (after <serial_consistency>, before the v5 <keyspace> and <now_in_seconds>).
  std::size_t timestamp = 0;
  std::size_t end = 0;  // end of the block, which is the end of the body
};

// Scans a QUERY, EXECUTE or BATCH body. Errors: not_a_request_with_parameters for any other
// opcode; otherwise those of the message's decoder.
result<parameter_locations> locate_parameters(opcode op, protocol_version v, bytes_view body);

// The bound value number `index` of a QUERY or EXECUTE whose parameters are at `loc` (from
// locate_parameters on the same body), read in place without a copy: token-aware routing reads
// the partition key this way on every EXECUTE (issue 17). Errors: bad_value when the values
// are named (flag 0x40: their order is not the markers') or index is past the last value;
// those of the reader otherwise.
result<value_view> bound_value_at(bytes_view body, const parameter_locations& loc,
                                  protocol_version v, std::size_t index);

// The default timestamp of a QUERY, EXECUTE or BATCH (flag 0x20), std::nullopt when the client
// set none. Errors: as locate_parameters.
result<std::optional<std::int64_t>> read_default_timestamp(opcode op, protocol_version v,
                                                           bytes_view body);
// The same from `loc`, locate_parameters' answer for this body: a mirrored EXECUTE scans its
// parameters once for the timestamp read, the timestamp edit and the routing key (issue 17).
result<std::optional<std::int64_t>> read_default_timestamp(bytes_view body,
                                                           const parameter_locations& loc);

// A copy of the body with flag 0x20 set and <timestamp> = ts: inserted at its place when the
// client set none, overwritten otherwise. Every other byte is unchanged.
// Errors: as locate_parameters.
result<bytes> with_default_timestamp(opcode op, protocol_version v, bytes_view body,
                                     std::int64_t ts);
// The same from `loc`, locate_parameters' answer for this body (which it must be). The
// result's offsets before loc.timestamp (consistency, flags, values) are loc's; those from
// the timestamp on move by 8 when it was inserted.
bytes with_default_timestamp(protocol_version v, bytes_view body, const parameter_locations& loc,
                             std::int64_t ts);

// A copy of an EXECUTE body with the prepared id replaced by new_id and, in v5, the result
// metadata id replaced by new_result_metadata_id when one is given (kept otherwise).
// Errors: as decode_execute; bad_value when an id is 64 KiB or longer (a [short bytes]) or
// when new_result_metadata_id is given for v3/v4. The result begins with `prefix` (the frame
// body before the message: tracing, custom payload), so the caller need not join them.
result<bytes> with_prepared_id(protocol_version v, bytes_view execute_body, bytes_view new_id,
                               std::optional<bytes_view> new_result_metadata_id = std::nullopt,
                               bytes_view prefix = {});
// The same without scanning the body again: `loc` is locate_parameters' answer for it, or for
// the same message before with_default_timestamp (its consistency offset is the same). Errors:
// bad_value for an id as above, or a `loc` that cannot be this body's.
result<bytes> with_prepared_id(protocol_version v, bytes_view execute_body,
                               const parameter_locations& loc, bytes_view new_id,
                               std::optional<bytes_view> new_result_metadata_id,
                               bytes_view prefix);

// The prepared ids of a BATCH's prepared children, in order (views into batch_body).
// Errors: as decode_batch.
result<std::vector<bytes_view>> batch_prepared_ids(protocol_version v, bytes_view batch_body);

// A copy of a BATCH body where each prepared child's id is replaced by map(old_id); a child for
// which map returns std::nullopt keeps its id. Errors: as decode_batch; bad_value when a new id
// is 64 KiB or longer.
result<bytes> with_batch_prepared_ids(
    protocol_version v, bytes_view batch_body,
    const std::function<std::optional<bytes>(bytes_view old_id)>& map);

// A copy of a QUERY or EXECUTE body with one more bound value (a set [value]) after the last
// one: the [short] count is incremented (flag 0x01 is set and a count of 1 written when there
// were no values). Used when the proxy replaces now() with an extra bind marker.
// Named values (flag 0x40): `name` is required and written before the value; with positional
// values `name` must be absent. Errors: those of locate_parameters; not_a_request_with_parameters
// for BATCH; bad_value when the name is missing or unexpected, the count is already 65535, or the
// value is 2 GiB or longer.
result<bytes> with_appended_value(opcode op, protocol_version v, bytes_view body,
                                  bytes_view new_value,
                                  std::optional<std::string_view> name = std::nullopt);

}  // namespace tandem::protocol
