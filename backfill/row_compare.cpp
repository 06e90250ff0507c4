#include "backfill/row_compare.hpp"

#include "backfill/cell_values.hpp"

#include <cstdlib>

namespace tandem::backfill {

const char* name_of(difference_kind k) {
  switch (k) {
    case difference_kind::missing_on_target: return "missing_on_target";
    case difference_kind::extra_on_target: return "extra_on_target";
    case difference_kind::value_differs: return "value_differs";
    case difference_kind::writetime_differs: return "writetime_differs";
    case difference_kind::ttl_differs: return "ttl_differs";
  }
  return "unknown";
}

std::vector<cell_difference> compare_rows(const select_layout& l, const protocol::result_row& source,
                                          const protocol::result_row& target, bool with_statics,
                                          std::int32_t ttl_tolerance_seconds) {
  std::vector<cell_difference> out;
  for (const auto& v : l.values) {
    if (v.column->kind == column_kind::static_column && !with_statics) {
      continue;
    }
    if (v.value >= source.size() || v.value >= target.size()) {
      out.push_back({&v, difference_kind::value_differs});
      continue;
    }
    if (source[v.value] != target[v.value]) {
      out.push_back({&v, difference_kind::value_differs});
      continue;
    }
    if (!source[v.value] || !v.writetime || !v.ttl) {
      continue;  // both null, or a cell without a single writetime: the value is all there is
    }
    // A TTL on one side only first (a dropped TTL keeps data that should expire, whatever
    // its writetime), then the writetime, then TTLs further apart than the scan's age.
    const auto source_ttl = read_int(source[*v.ttl]).value_or(0);
    const auto target_ttl = read_int(target[*v.ttl]).value_or(0);
    if ((source_ttl == 0) != (target_ttl == 0)) {
      out.push_back({&v, difference_kind::ttl_differs});
    } else if (read_long(source[*v.writetime]) != read_long(target[*v.writetime])) {
      out.push_back({&v, difference_kind::writetime_differs});
    } else if (std::abs(static_cast<std::int64_t>(source_ttl) - target_ttl) > ttl_tolerance_seconds) {
      out.push_back({&v, difference_kind::ttl_differs});
    }
  }
  return out;
}

std::string clustering_of(const select_layout& l, const protocol::result_row& row) {
  std::string out;
  for (std::size_t i = l.partition_key_columns; i < l.key_columns && i < row.size(); ++i) {
    const auto& cell = row[i];
    if (!cell) {
      out += 'N';
      continue;
    }
    const auto n = static_cast<std::uint32_t>(cell->size());
    out += 'V';
    out.append(reinterpret_cast<const char*>(&n), sizeof n);
    out.append(reinterpret_cast<const char*>(cell->data()), cell->size());
  }
  return out;
}

std::optional<std::int64_t> newest_writetime(const select_layout& l, const protocol::result_row& row,
                                             bool with_statics) {
  std::optional<std::int64_t> newest;
  for (const auto& v : l.values) {
    if (!v.writetime || (v.column->kind == column_kind::static_column && !with_statics)) {
      continue;
    }
    if (*v.writetime < row.size() && v.value < row.size() && row[v.value]) {
      if (const auto wt = read_long(row[*v.writetime]); wt && (!newest || *wt > *newest)) {
        newest = wt;
      }
    }
  }
  return newest;
}

}  // namespace tandem::backfill
