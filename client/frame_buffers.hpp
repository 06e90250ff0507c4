// Buffers for encoded frames, recycled per thread: a connection takes one to encode a frame
// into and gives it back once the frame is written, so the steady state of a busy worker
// allocates no buffer per frame (issue 17: three per mirrored write — two requests to the
// clusters and the client's answer). Bounded: at most max_kept buffers of at most
// max_kept_capacity bytes each stay (a worker keeps ≈ 256 × a frame's size; a big result's
// buffer is freed, not kept). One pool per thread, so no lock; a buffer may be given back on
// another thread than the one it came from (it then joins that thread's pool).
#pragma once

#include "protocol/types.hpp"

#include <cstddef>
#include <vector>

namespace tandem::client {

class frame_buffers {
 public:
  static constexpr std::size_t max_kept = 256;
  static constexpr std::size_t max_kept_capacity = 16 * 1024;

  // A buffer with no bytes in it (with capacity if one was given back earlier).
  static protocol::bytes take() {
    auto& kept = pool();
    if (kept.empty()) {
      return {};
    }
    protocol::bytes b = std::move(kept.back());
    kept.pop_back();
    return b;
  }

  static void give_back(protocol::bytes&& b) {
    auto& kept = pool();
    if (b.capacity() == 0 || b.capacity() > max_kept_capacity || kept.size() >= max_kept) {
      return;  // b is freed when the caller's copy goes
    }
    b.clear();
    kept.push_back(std::move(b));
  }

  static std::size_t kept_on_this_thread() { return pool().size(); }

 private:
  static std::vector<protocol::bytes>& pool() {
    thread_local std::vector<protocol::bytes> kept;
    return kept;
  }
};

}  // namespace tandem::client
