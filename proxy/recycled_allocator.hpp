// An allocator for std::allocate_shared that keeps freed blocks on a per-thread list and hands
// them out again (issue 17): a mirrored write's legs (mirror_now.cpp) and a prepared read's
// state (read_now.cpp) are one block each per request, the same size every time, made and freed
// on the session's worker thread. In the steady state each request then reuses the block of one
// answered before it instead of calling malloc and free.
//
// A block freed on another thread than the one that made it joins that thread's list: every
// block comes from the global operator new, so any thread may hand it out or delete it. A list
// keeps at most `kept` blocks (what is freed beyond goes back to operator delete), so a burst
// of pipelined requests does not pin its peak for the life of the thread.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace tandem::proxy {

// How many blocks the calling thread has taken from its lists, over all types: what the unit
// tests watch (a reused block's address alone cannot tell the list from malloc's own reuse).
inline std::size_t& recycled_blocks_reused() {
  thread_local std::size_t count = 0;
  return count;
}

template <class T>
class recycled_allocator {
 public:
  using value_type = T;
  static constexpr std::size_t kept = 512;

  recycled_allocator() noexcept = default;
  template <class U>
  recycled_allocator(const recycled_allocator<U>&) noexcept {}  // NOLINT: rebinding converts

  T* allocate(std::size_t n) {
    static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
    if (n == 1 && !list_gone()) {
      auto& blocks = free_list().blocks;
      if (!blocks.empty()) {
        void* p = blocks.back();
        blocks.pop_back();
        ++recycled_blocks_reused();
        return static_cast<T*>(p);
      }
    }
    return static_cast<T*>(::operator new(n * sizeof(T)));
  }

  void deallocate(T* p, std::size_t n) noexcept {
    if (n == 1 && !list_gone()) {
      auto& blocks = free_list().blocks;
      if (blocks.size() < kept) {
        blocks.push_back(p);  // never reallocates: reserved to `kept`
        return;
      }
    }
    ::operator delete(p);
  }

  // How many blocks the calling thread's list holds now (for the unit tests).
  static std::size_t idle_blocks() { return list_gone() ? 0 : free_list().blocks.size(); }

  friend bool operator==(const recycled_allocator&, const recycled_allocator&) { return true; }
  friend bool operator!=(const recycled_allocator&, const recycled_allocator&) { return false; }

 private:
  struct list {
    std::vector<void*> blocks;
    list() { blocks.reserve(kept); }
    list(const list&) = delete;
    list& operator=(const list&) = delete;
    ~list() {
      for (void* p : blocks) {
        ::operator delete(p);
      }
      list_gone() = true;
    }
  };

  static list& free_list() {
    thread_local list l;
    return l;
  }

  // Set once the thread's list has been destroyed (thread exit): a block freed after that, by
  // another thread-local's destructor, goes straight back to operator delete. A bool needs no
  // destructor, so it stays readable to the end.
  static bool& list_gone() {
    thread_local bool gone = false;
    return gone;
  }
};

}  // namespace tandem::proxy
