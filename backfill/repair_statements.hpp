// The statements `tandem validate --repair` writes (issue 6). Never the current time: a cell
// is written with the source's writetime and remaining TTL (table_model's writes_for_row, the
// backfill's own writes), and what the target holds that the source does not is deleted with a
// timestamp that cannot shadow a newer write — the target cell's own writetime. A target cell
// newer than the source's (a write the source never saw) cannot be replaced under the source's
// older timestamp; it is re-stamped: the source's value written to both clusters at the target's
// writetime + 1, so both end with the same value and the same writetime. Pure.
#pragma once

#include "backfill/table_model.hpp"

#include <cstdint>
#include <vector>

namespace tandem::backfill {

// The WHERE clause values of a row's key: the partition key, and the clustering unless the row
// is a partition's static-only row (null clustering) or `partition_only`.
std::vector<protocol::value> key_values(const select_layout& l, const protocol::result_row& row,
                                        bool partition_only);
bool is_static_only(const select_layout& l, const protocol::result_row& row);

// UPDATE ... USING TIMESTAMP <ts> [AND TTL <ttl>] SET c = <the row's value> WHERE <key>.
client::statement write_cell(const table_def& t, const select_layout& l,
                     const select_layout::value_column& c, const protocol::result_row& row,
                     std::int64_t timestamp, std::int32_t ttl);

// DELETE c FROM ... USING TIMESTAMP <ts> WHERE <key>.
client::statement delete_cell(const table_def& t, const select_layout& l,
                      const select_layout::value_column& c, const protocol::result_row& row,
                      std::int64_t timestamp);

// DELETE FROM ... USING TIMESTAMP <ts> WHERE <key> (a static-only row: its static cells).
client::statement delete_row(const table_def& t, const select_layout& l, const protocol::result_row& row,
                     std::int64_t timestamp);

// INSERT INTO ... (<key>) VALUES (...) USING TIMESTAMP <ts>: the row marker alone.
client::statement write_marker(const table_def& t, const select_layout& l, const protocol::result_row& row,
                       std::int64_t timestamp);

// The whole row as the source holds it, every non-null cell (collections as a full
// assignment) and the row marker, at one timestamp: a row the target deleted with a newer
// tombstone (whose timestamp no query shows) cannot be written back under the source's own
// writetimes; it is written to both clusters at the time the source row was read, so both
// end alike and any write made after that read still wins.
std::vector<client::statement> restamp_row(const table_def& t, const select_layout& l,
                                   const protocol::result_row& row, std::int64_t timestamp);

// The SELECT of one row by key, in the layout of the validation SELECT (token last).
std::string row_select(const table_def& t, bool partition_only);
// The validation SELECT of a token range: copy_select with token(pk) as the last column.
std::string validation_select(const table_def& t);

}  // namespace tandem::backfill
