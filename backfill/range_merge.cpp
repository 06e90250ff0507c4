#include "backfill/range_merge.hpp"

#include "backfill/cell_values.hpp"
#include "backfill/row_compare.hpp"

namespace tandem::backfill {

range_merge::partition_key range_merge::key_of(const protocol::result_row& row) const {
  partition_key k;
  k.token = row.empty() ? 0 : read_long(row.back()).value_or(0);
  k.key = partition_of(layout_, row);
  return k;
}

void range_merge::add_source(std::vector<protocol::result_row> rows, bool last_page) {
  for (auto& r : rows) source_.rows.push_back(std::move(r));
  source_.done = last_page;
  advance();
}

void range_merge::add_target(std::vector<protocol::result_row> rows, bool last_page) {
  for (auto& r : rows) target_.rows.push_back(std::move(r));
  target_.done = last_page;
  advance();
}

bool range_merge::past_current(const stream& s) const {
  if (!s.rows.empty()) {
    return key_of(s.rows.front()) != *current_;
  }
  return s.done;
}

void range_merge::flush_current() {
  for (auto& [ck, row] : source_.unmatched) {
    merged_row m{std::move(row), std::nullopt, !statics_compared_};
    statics_compared_ = true;
    out_.push_back(std::move(m));
  }
  for (auto& [ck, row] : target_.unmatched) {
    out_.push_back(merged_row{std::nullopt, std::move(row), false});
  }
  source_.unmatched.clear();
  target_.unmatched.clear();
  current_.reset();
}

void range_merge::advance() {
  for (;;) {
    if (!current_) {
      const bool source_ready = !source_.rows.empty() || source_.done;
      const bool target_ready = !target_.rows.empty() || target_.done;
      if (!source_ready || !target_ready) {
        return;  // the next partition cannot be chosen before both heads are known
      }
      if (source_.rows.empty() && target_.rows.empty()) {
        return;  // both done
      }
      if (source_.rows.empty()) {
        current_ = key_of(target_.rows.front());
      } else if (target_.rows.empty()) {
        current_ = key_of(source_.rows.front());
      } else {
        current_ = std::min(key_of(source_.rows.front()), key_of(target_.rows.front()));
      }
      statics_compared_ = false;
    }
    // Take the current partition's rows from both heads, matching by clustering key.
    bool moved = true;
    while (moved) {
      moved = false;
      for (auto* s : {&source_, &target_}) {
        auto* other = s == &source_ ? &target_ : &source_;
        if (s->rows.empty() || key_of(s->rows.front()) != *current_) {
          continue;
        }
        auto row = std::move(s->rows.front());
        s->rows.pop_front();
        moved = true;
        auto ck = clustering_of(layout_, row);
        auto match = other->unmatched.find(ck);
        if (match == other->unmatched.end()) {
          s->unmatched.emplace(std::move(ck), std::move(row));
          continue;
        }
        merged_row m;
        m.first_of_partition = !statics_compared_;
        statics_compared_ = true;
        if (s == &source_) {
          m.source = std::move(row);
          m.target = std::move(match->second);
        } else {
          m.source = std::move(match->second);
          m.target = std::move(row);
        }
        other->unmatched.erase(match);
        out_.push_back(std::move(m));
      }
    }
    if (!past_current(source_) || !past_current(target_)) {
      return;  // a side may still have rows of this partition on its next page
    }
    flush_current();
  }
}

range_merge::side range_merge::needs() const {
  if (current_) {
    if (source_.rows.empty() && !source_.done) return side::source;
    if (target_.rows.empty() && !target_.done) return side::target;
    return side::none;
  }
  if (source_.rows.empty() && !source_.done) return side::source;
  if (target_.rows.empty() && !target_.done) return side::target;
  return side::none;
}

bool range_merge::finished() const {
  return !current_ && source_.done && target_.done && source_.rows.empty() &&
         target_.rows.empty();
}

std::vector<merged_row> range_merge::take() {
  std::vector<merged_row> out;
  out.swap(out_);
  return out;
}

}  // namespace tandem::backfill
