// RESULT (spec v4 §4.2.5, spec v5 §4.2.5): an [int] kind, then a body that depends on it:
//   0x0001 Void          (empty)
//   0x0002 Rows          <metadata><rows_count><rows_content>
//   0x0003 Set_keyspace  <keyspace: [string]>
//   0x0004 Prepared      <id>[<result_metadata_id> (v5)]<metadata><result_metadata>
//   0x0005 Schema_change <change_type><target><options>, the body of the SCHEMA_CHANGE event
//
// A response: decode_result ignores bytes after the content (spec v4 §4.2: clients should
// discard extra data at the end of a response body). This is documented behaviour, not
// leniency by accident: a newer server may append fields.
#pragma once

#include "protocol/error.hpp"
#include "protocol/messages/result_metadata.hpp"
#include "protocol/types.hpp"
#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace tandem::protocol {

enum class result_kind : std::int32_t {
  void_ = 0x0001,
  rows = 0x0002,
  set_keyspace = 0x0003,
  prepared = 0x0004,
  schema_change = 0x0005,
};

// <target> of a schema change (spec v4 §4.2.6). FUNCTION and AGGREGATE are v4+ (spec v4 §10).
enum class schema_change_target : std::uint8_t { keyspace, table, type, function, aggregate };

// The SCHEMA_CHANGE body, shared by the Schema_change result and the SCHEMA_CHANGE event:
//   <change_type: [string]><target: [string]><keyspace: [string]>
//   then for TABLE and TYPE <name: [string]>, for FUNCTION and AGGREGATE
//   <name: [string]><argument types: [string list]>.
struct schema_change {
  std::string change_type;  // "CREATED", "UPDATED" or "DROPPED"; kept as sent
  schema_change_target target = schema_change_target::keyspace;
  std::string keyspace;
  std::string name;              // empty for KEYSPACE
  string_list argument_types;    // FUNCTION and AGGREGATE only

  friend bool operator==(const schema_change&, const schema_change&) = default;
};

// Reads the SCHEMA_CHANGE body at the reader's position. Errors: truncated, bad_value (an
// unknown target; FUNCTION or AGGREGATE in v3, which does not have them).
result<schema_change> decode_schema_change(wire_reader& r, protocol_version v);
// Appends the SCHEMA_CHANGE body. In v3 a FUNCTION or AGGREGATE change is written as
// "UPDATED" "KEYSPACE" <keyspace>, which is what a v3 peer is told by Cassandra itself.
void encode_schema_change(wire_writer& w, const schema_change& c, protocol_version v);

struct void_result {
  friend bool operator==(const void_result&, const void_result&) = default;
};

// One row: one cell per column, std::nullopt for a null value.
using result_row = std::vector<std::optional<bytes>>;

struct rows_result {
  rows_metadata metadata;
  // Each row has metadata.column_count cells. The encoder writes the rows as given, so a row
  // of another length makes a body no peer can read.
  std::vector<result_row> rows;

  friend bool operator==(const rows_result&, const rows_result&) = default;
};

struct set_keyspace_result {
  std::string keyspace;

  friend bool operator==(const set_keyspace_result&, const set_keyspace_result&) = default;
};

struct prepared_result {
  bytes id;                  // [short bytes]
  bytes result_metadata_id;  // [short bytes], v5 only: empty and not written in v3/v4
  prepared_metadata metadata;
  rows_metadata result_metadata;

  friend bool operator==(const prepared_result&, const prepared_result&) = default;
};

using result_message =
    std::variant<void_result, rows_result, set_keyspace_result, prepared_result, schema_change>;

// The kind a result_message encodes as.
result_kind kind_of(const result_message& m) noexcept;

// Decodes a RESULT body. Errors: truncated (also a row or column count the remaining bytes
// cannot hold — checked before any memory is reserved), negative_length (a negative count),
// bad_value (an unknown kind, column type or schema change target; rows announced with zero
// columns, which would take no bytes and so could not be bounded by the input).
result<result_message> decode_result(bytes_view body, protocol_version v);

// Encodes a RESULT body in the layout of version v.
bytes encode_result(const result_message& m, protocol_version v);

}  // namespace tandem::protocol
