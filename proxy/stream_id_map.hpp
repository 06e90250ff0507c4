// Stream ids of one cluster connection (spec v4 §2.3: a [short] per request, echoed by the
// answer; v3+ allow 0..32767, negative ids are the server's events). The proxy never sends a
// client's stream id to a cluster: each cluster connection draws its own from this pool and
// stores, per id, what to do with the answer (T: the waiting call, the client's stream id...).
// The capacity is the connection's in-flight limit: when the pool is empty the caller applies
// backpressure instead of growing memory. One connection lives on one thread: not synchronised.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace tandem::proxy {

// Stream ids available per connection in protocol v3, v4 and v5: 0..32767.
inline constexpr std::size_t max_stream_ids = 32768;

// Checks a configured in-flight limit: 1..max_stream_ids. Throws std::invalid_argument naming
// the value otherwise (a configuration error).
std::size_t checked_stream_capacity(std::size_t capacity);

template <class T>
class stream_id_map {
 public:
  // Ids 0..capacity-1 are handed out. Throws std::invalid_argument outside 1..max_stream_ids.
  explicit stream_id_map(std::size_t capacity = max_stream_ids)
      : slots_(checked_stream_capacity(capacity)), free_(slots_.size()) {
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      free_[i] = static_cast<std::int16_t>(i);
    }
  }

  // A free id now bound to `pending`; std::nullopt when all ids are in flight.
  // Ids are reused first-in first-out, so the id of an answer that arrives very late is the
  // one least likely to have been handed out again.
  std::optional<std::int16_t> acquire(T pending) {
    if (free_count_() == 0) {
      return std::nullopt;
    }
    const std::int16_t id = free_[head_];
    head_ = (head_ + 1) % free_.size();
    --free_size_;
    slot& s = slots_[static_cast<std::size_t>(id)];
    s.value.emplace(std::move(pending));
    s.state = slot_state::pending;
    ++in_flight_;
    return id;
  }

  // The answer for `id` arrived: frees the id and returns what was stored. std::nullopt when
  // the id is not in flight (a cluster answering a stream we did not use: counted in
  // bad_releases()) or was abandoned (counted in late_answers(); the id is freed now).
  std::optional<T> release(std::int16_t id) {
    slot* s = find_slot(id);
    if (s == nullptr || s->state == slot_state::free) {
      ++bad_releases_;
      return std::nullopt;
    }
    if (s->state == slot_state::abandoned) {
      ++late_answers_;
      free_id(id, *s);
      return std::nullopt;
    }
    std::optional<T> out = std::move(s->value);
    free_id(id, *s);
    return out;
  }

  // The request on `id` timed out: returns what was stored (to answer the client with an
  // error) but keeps the id reserved until its answer arrives (release) or the connection
  // closes (clear), so a late answer cannot be taken for a newer request's. std::nullopt when
  // the id is not pending.
  std::optional<T> abandon(std::int16_t id) {
    slot* s = find_slot(id);
    if (s == nullptr || s->state != slot_state::pending) {
      return std::nullopt;
    }
    std::optional<T> out = std::move(s->value);
    s->value.reset();
    s->state = slot_state::abandoned;
    return out;
  }

  // What is stored for a pending id, without releasing it; nullptr otherwise.
  T* find(std::int16_t id) {
    slot* s = find_slot(id);
    return (s != nullptr && s->state == slot_state::pending) ? &*s->value : nullptr;
  }

  // The connection closed: calls f(id, T&&) for every pending id (to fail each waiting call)
  // and frees every id, abandoned ones included.
  template <class F>
  void clear(F&& f) {
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      slot& s = slots_[i];
      if (s.state == slot_state::free) {
        continue;
      }
      std::optional<T> v = std::move(s.value);
      const bool pending = s.state == slot_state::pending;
      free_id(static_cast<std::int16_t>(i), s);
      if (pending) {
        f(static_cast<std::int16_t>(i), std::move(*v));
      }
    }
  }

  // Ids taken: pending plus abandoned (an abandoned id is still unusable).
  std::size_t in_flight() const noexcept { return in_flight_; }
  std::size_t capacity() const noexcept { return slots_.size(); }
  bool full() const noexcept { return free_count_() == 0; }
  std::uint64_t bad_releases() const noexcept { return bad_releases_; }
  std::uint64_t late_answers() const noexcept { return late_answers_; }

 private:
  enum class slot_state : std::uint8_t { free, pending, abandoned };
  struct slot {
    slot_state state = slot_state::free;
    std::optional<T> value;
  };

  std::size_t free_count_() const noexcept { return free_size_; }

  slot* find_slot(std::int16_t id) noexcept {
    if (id < 0 || static_cast<std::size_t>(id) >= slots_.size()) {
      return nullptr;
    }
    return &slots_[static_cast<std::size_t>(id)];
  }

  void free_id(std::int16_t id, slot& s) {
    s.value.reset();
    s.state = slot_state::free;
    --in_flight_;
    // free_ is a ring of capacity entries and at most capacity ids are free: never overflows.
    assert(free_size_ < free_.size());
    free_[(head_ + free_size_) % free_.size()] = id;
    ++free_size_;
  }

  std::vector<slot> slots_;
  std::vector<std::int16_t> free_;  // ring buffer of free ids, from head_, free_size_ long
  std::size_t head_ = 0;
  std::size_t free_size_ = slots_.size();
  std::size_t in_flight_ = 0;
  std::uint64_t bad_releases_ = 0;
  std::uint64_t late_answers_ = 0;
};

}  // namespace tandem::proxy
