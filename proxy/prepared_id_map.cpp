#include "proxy/prepared_id_map.hpp"

#include <algorithm>
#include <stdexcept>

namespace tandem::proxy {

namespace {

// Prepared ids are short (16-byte MD5 in Cassandra): stored as std::string keys, looked up as
// views of the same bytes.
std::string_view view_of(protocol::bytes_view id) {
  return {reinterpret_cast<const char*>(id.data()), id.size()};
}

std::string key_of(protocol::bytes_view id) {
  return std::string(view_of(id));
}

}  // namespace

prepared_id_map::prepared_id_map(std::size_t capacity) : capacity_(capacity) {
  if (capacity == 0) {
    throw std::invalid_argument("prepared_id_map: capacity must be at least 1, got 0");
  }
}

void prepared_id_map::touch(lru_list::iterator it) {
  lru_.splice(lru_.begin(), lru_, it);
}

void prepared_id_map::link_secondary(const prepared_entry& e) {
  if (!e.secondary_id.empty()) {
    by_secondary_[key_of(e.secondary_id)] = by_primary_.at(key_of(e.primary_id));
  }
}

void prepared_id_map::unlink_secondary(const prepared_entry& e) {
  if (e.secondary_id.empty()) {
    return;
  }
  // Another entry may have taken this secondary id since (see find_by_secondary): only drop
  // the index if it still points at `e`.
  auto it = by_secondary_.find(view_of(e.secondary_id));
  if (it != by_secondary_.end() && it->second->get() == &e) {
    by_secondary_.erase(it);
  }
}

void prepared_id_map::remove(lru_list::iterator it) {
  unlink_secondary(**it);
  by_primary_.erase(key_of((*it)->primary_id));
  lru_.erase(it);
}

prepared_id_map::entry_ptr prepared_id_map::put(prepared_entry e) {
  auto stored = std::make_shared<const prepared_entry>(std::move(e));
  const std::string key = key_of(stored->primary_id);
  std::lock_guard lock(mutex_);
  if (auto found = by_primary_.find(key); found != by_primary_.end()) {
    unlink_secondary(**found->second);
    *found->second = stored;
    touch(found->second);
    generation_.fetch_add(1, std::memory_order_release);
  } else {
    lru_.push_front(stored);
    by_primary_.emplace(key, lru_.begin());
  }
  link_secondary(*stored);
  while (lru_.size() > capacity_) {
    remove(std::prev(lru_.end()));
    ++evictions_;
  }
  return stored;
}

prepared_id_map::entry_ptr prepared_id_map::find(protocol::bytes_view primary_id) {
  std::lock_guard lock(mutex_);
  auto found = by_primary_.find(view_of(primary_id));
  if (found == by_primary_.end()) {
    return nullptr;
  }
  touch(found->second);
  return *found->second;
}

prepared_id_map::entry_ptr prepared_id_map::find_by_secondary(protocol::bytes_view id) {
  std::lock_guard lock(mutex_);
  auto found = by_secondary_.find(view_of(id));
  if (found == by_secondary_.end()) {
    return nullptr;
  }
  touch(found->second);
  return *found->second;
}

prepared_id_map::entry_ptr prepared_id_map::update_secondary(
    protocol::bytes_view primary_id, protocol::bytes secondary_id,
    protocol::bytes secondary_result_metadata_id) {
  const std::string key = key_of(primary_id);
  std::lock_guard lock(mutex_);
  auto found = by_primary_.find(key);
  if (found == by_primary_.end()) {
    return nullptr;
  }
  // Entries are immutable once handed out (readers hold shared_ptr<const>): copy, change, swap.
  auto updated = std::make_shared<prepared_entry>(**found->second);
  updated->secondary_id = std::move(secondary_id);
  updated->secondary_result_metadata_id = std::move(secondary_result_metadata_id);
  unlink_secondary(**found->second);
  *found->second = updated;
  touch(found->second);
  link_secondary(*updated);
  generation_.fetch_add(1, std::memory_order_release);
  return updated;
}

bool prepared_id_map::erase(protocol::bytes_view primary_id) {
  const std::string key = key_of(primary_id);
  std::lock_guard lock(mutex_);
  auto found = by_primary_.find(key);
  if (found == by_primary_.end()) {
    return false;
  }
  remove(found->second);
  generation_.fetch_add(1, std::memory_order_release);
  return true;
}

std::size_t prepared_id_map::size() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

std::uint64_t prepared_id_map::evictions() const {
  std::lock_guard lock(mutex_);
  return evictions_;
}

prepared_id_map::entry_ptr prepared_lookup_cache::find(prepared_id_map& map,
                                                     protocol::bytes_view primary_id) {
  // Read before the lookup below: a change after it moves the generation again, so an entry
  // cached now is dropped at the next call rather than kept stale.
  const std::uint64_t now = map.generation();
  if (now != generation_) {
    entries_.fill(nullptr);
    generation_ = now;
  }
  for (const auto& e : entries_) {
    if (e && std::ranges::equal(e->primary_id, primary_id)) {
      return e;
    }
  }
  auto found = map.find(primary_id);
  if (found) {
    entries_[next_] = found;
    next_ = (next_ + 1) % slots;
  }
  return found;
}

}  // namespace tandem::proxy
