// The metadata of RESULT messages: <metadata> of Rows (spec v4 §4.2.5.2, spec v5 §4.2.5.2) and
// the bind-marker <metadata> of Prepared (spec v4 §4.2.5.4, spec v5 §4.2.5.4).
//
// Rows:     <flags><columns_count>[<paging_state>][<new_metadata_id>]
//           [<global_table_spec>?<col_spec_1>...<col_spec_n>]
// Prepared: <flags><columns_count>[<pk_count><pk_index_1>...<pk_index_n>]
//           [<global_table_spec>?<col_spec_1>...<col_spec_n>]
// with <col_spec_i> = (<ksname><tablename>)?<name><type>; the table spec of each column is on
// the wire only when the Global_tables_spec flag is clear.
//
// The decoded structs always carry each column's keyspace and table. The encoders write the
// global table spec when the flags ask for it and all columns share one keyspace and table;
// otherwise they clear the flag and write the spec per column. Keeping the decoded flag is
// what makes decode-then-encode byte-identical.
#pragma once

#include "protocol/error.hpp"
#include "protocol/types.hpp"
#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tandem::protocol {

// Flag masks of the metadata <flags> [int].
namespace metadata_flags {
inline constexpr std::int32_t global_tables_spec = 0x0001;
inline constexpr std::int32_t has_more_pages = 0x0002;    // Rows only
inline constexpr std::int32_t no_metadata = 0x0004;       // Rows only
inline constexpr std::int32_t metadata_changed = 0x0008;  // Rows only, v5
}  // namespace metadata_flags

struct column_spec {
  std::string keyspace;
  std::string table;
  std::string name;
  data_type type;

  friend bool operator==(const column_spec&, const column_spec&) = default;
};

struct rows_metadata {
  // The flags as on the wire. On encode, has_more_pages is set exactly when paging_state is
  // present, and (v5) metadata_changed exactly when new_metadata_id is; global_tables_spec is
  // kept when it can be honoured (see above); other bits are written as they are.
  std::int32_t flags = 0;
  // The number of values in each row. Equal to columns.size() unless no_metadata is set, in
  // which case columns is empty and this is the only trace of the columns. The encoder writes
  // columns.size() when no_metadata is clear.
  std::int32_t column_count = 0;
  std::optional<bytes> paging_state;     // Has_more_pages; a null [bytes] is kept as empty
  std::optional<bytes> new_metadata_id;  // v5 Metadata_changed, a [short bytes]
  std::vector<column_spec> columns;      // empty when no_metadata is set

  bool has_no_metadata() const noexcept { return (flags & metadata_flags::no_metadata) != 0; }

  friend bool operator==(const rows_metadata&, const rows_metadata&) = default;
};

struct prepared_metadata {
  std::int32_t flags = 0;  // only global_tables_spec is defined; other bits written as they are
  // Partition-key bind indexes (spec v4 §4.2.5.4), v4+: not on the wire in v3, where decoding
  // leaves this empty and encoding does not write it.
  std::vector<std::uint16_t> pk_indexes;
  std::vector<column_spec> columns;  // one per bind marker

  friend bool operator==(const prepared_metadata&, const prepared_metadata&) = default;
};

// Read the metadata at the reader's position and advance past it; they do not look at what
// follows. Errors: truncated (also a column count larger than the bytes left could hold),
// negative_length (a negative column or pk count), bad_value (an unknown or too deeply nested
// column type).
result<rows_metadata> decode_rows_metadata(wire_reader& r, protocol_version v);
result<prepared_metadata> decode_prepared_metadata(wire_reader& r, protocol_version v);

// Append the metadata to w in the layout of version v.
void encode_rows_metadata(wire_writer& w, const rows_metadata& m, protocol_version v);
void encode_prepared_metadata(wire_writer& w, const prepared_metadata& m, protocol_version v);

}  // namespace tandem::protocol
