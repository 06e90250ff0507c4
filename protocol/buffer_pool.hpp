// Byte buffers recycled per thread (issue 17): a decoded frame's body, a request body built for
// a cluster and an encoded frame each take one and give it back when done (owned_frame gives its
// body back when it is destroyed, a connection gives an encoded frame back once written), so the
// steady state of a busy worker allocates no buffer per frame. Bounded: at most max_kept buffers
// holding at most max_kept_bytes of capacity in all, none above max_kept_capacity (a big
// result's buffer is freed, not kept). The count is sized for a worker with hundreds of
// requests in flight, each holding a few buffers at once: with 256 the pool overflowed and
// emptied in turns and missed on one take in four. One pool per thread, so no lock; a buffer
// may be given back on another thread than the one it came from (it then joins that thread's
// pool). Memory only, no I/O: it belongs to protocol/ so that owned_frame can use it.
#pragma once

#include "protocol/types.hpp"

#include <cstddef>
#include <vector>

namespace tandem::protocol {

class buffer_pool {
 public:
  static constexpr std::size_t max_kept = 4096;
  static constexpr std::size_t max_kept_capacity = 16 * 1024;
  static constexpr std::size_t max_kept_bytes = 2 * 1024 * 1024;

  // A buffer with no bytes in it (with capacity if one was given back earlier).
  static bytes take() {
    if (gone()) {
      return {};
    }
    auto& kept = pool().kept;
    if (kept.empty()) {
      return {};
    }
    bytes b = std::move(kept.back());
    kept.pop_back();
    pool().bytes_kept -= b.capacity();
    return b;
  }

  // `b` is left empty either way; its block is kept for the next take() or freed.
  static void give_back(bytes&& b) {
    if (b.capacity() == 0 || b.capacity() > max_kept_capacity || gone()) {
      return;  // freed when the caller's copy goes
    }
    auto& p = pool();
    if (p.kept.size() >= max_kept || p.bytes_kept + b.capacity() > max_kept_bytes) {
      return;
    }
    b.clear();
    p.bytes_kept += b.capacity();
    p.kept.push_back(std::move(b));
  }

  static std::size_t kept_on_this_thread() { return gone() ? 0 : pool().kept.size(); }
  static std::size_t bytes_kept_on_this_thread() { return gone() ? 0 : pool().bytes_kept; }

 private:
  struct holder {
    std::vector<bytes> kept;
    std::size_t bytes_kept = 0;  // the sum of the kept buffers' capacities
    ~holder() { gone() = true; }
  };
  // Set once this thread's pool is destroyed (thread exit): a buffer given back later, by an
  // object destroyed after it, is freed instead of touching the destroyed pool. A plain bool
  // has no destructor, so it can be read until the thread's last moment.
  static bool& gone() {
    thread_local bool destroyed = false;
    return destroyed;
  }
  static holder& pool() {
    thread_local holder h;
    return h;
  }
};

}  // namespace tandem::protocol
