// Merges the rows of one token range read from the source and from the target (both in the
// server's order: by token, then partition, then clustering) into pairs of rows with the same
// key, rows only the source has and rows only the target has (issue 6: "scan source and target
// in token order and merge the two streams").
//
// Partitions are ordered by token (the last cell of each row, `token(pk)` in the SELECT) and
// then by their key bytes. Within a partition the clustering order depends on the column types,
// which this merge does not interpret: rows of the current partition are matched by their
// clustering key through two small maps of the rows not matched yet, so memory grows with the
// rows that differ, not with the partition. (Two partitions sharing a token are ordered by their
// encoded key bytes, which may not be the server's order; a pair of such rows that comes out as
// missing and extra is read again by key before anything is reported.)
// Pure: rows in, matches out; the caller fetches a page for the side `needs()` names.
#pragma once

#include "backfill/table_model.hpp"

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tandem::backfill {

struct merged_row {
  std::optional<protocol::result_row> source;
  std::optional<protocol::result_row> target;
  bool first_of_partition = false;  // compare statics on this one
};

class range_merge {
 public:
  enum class side { none, source, target };

  explicit range_merge(const select_layout& layout) : layout_(layout) {}

  void add_source(std::vector<protocol::result_row> rows, bool last_page);
  void add_target(std::vector<protocol::result_row> rows, bool last_page);

  // The side whose next page is needed before anything more can be decided (none: nothing
  // more, or everything decided until now has been taken).
  side needs() const;
  bool finished() const;

  // Everything decided so far.
  std::vector<merged_row> take();

 private:
  struct partition_key {
    std::int64_t token = 0;
    std::string key;
    friend auto operator<=>(const partition_key&, const partition_key&) = default;
  };
  struct stream {
    std::deque<protocol::result_row> rows;
    bool done = false;
    std::map<std::string, protocol::result_row> unmatched;  // of the current partition
  };

  partition_key key_of(const protocol::result_row& row) const;
  bool past_current(const stream& s) const;
  void advance();
  void flush_current();

  const select_layout& layout_;
  stream source_;
  stream target_;
  std::optional<partition_key> current_;
  bool statics_compared_ = false;
  std::vector<merged_row> out_;
};

}  // namespace tandem::backfill
