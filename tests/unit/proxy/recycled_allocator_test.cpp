// Per-thread block reuse for allocate_shared (issue 17): a freed block is handed out again, the
// list is bounded, and a block freed on another thread is kept by that thread.
#include "proxy/recycled_allocator.hpp"

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <thread>
#include <vector>

namespace tandem::proxy {
namespace {

// A type of its own per test, so each starts from an empty list on the test's thread.
template <int N>
struct payload {
  std::array<char, 200> bytes{};
  int value = N;
};

TEST(RecycledAllocator, AFreedBlockIsHandedOutAgain) {
  using T = payload<1>;
  recycled_allocator<T> alloc;
  auto first = std::allocate_shared<T>(alloc);
  const void* block = first.get();
  first->value = 5;
  first.reset();
  const auto reused = recycled_blocks_reused();
  auto second = std::allocate_shared<T>(alloc);
  EXPECT_EQ(recycled_blocks_reused(), reused + 1);
  EXPECT_EQ(second.get(), block);  // the same control block and object
  EXPECT_EQ(second->value, 1);     // constructed afresh
}

TEST(RecycledAllocator, OnlyTheBoundIsKeptAfterABurst) {
  using T = payload<2>;
  recycled_allocator<T> alloc;
  const std::size_t count = recycled_allocator<T>::kept + 50;
  std::vector<std::shared_ptr<T>> burst;
  for (std::size_t i = 0; i < count; ++i) {
    burst.push_back(std::allocate_shared<T>(alloc));
  }
  burst.clear();
  // Held together again, the new objects get `kept` of the freed blocks back (the bound of the
  // list of the control-block type allocate_shared rebinds to); the rest come from operator new.
  const auto before = recycled_blocks_reused();
  for (std::size_t i = 0; i < count; ++i) {
    burst.push_back(std::allocate_shared<T>(alloc));
  }
  EXPECT_EQ(recycled_blocks_reused() - before, recycled_allocator<T>::kept);
}

TEST(RecycledAllocator, IdleBlocksAreBoundedAndCountedPerThread) {
  recycled_allocator<char> bytes;
  std::vector<char*> blocks;
  for (std::size_t i = 0; i < recycled_allocator<char>::kept + 10; ++i) {
    blocks.push_back(bytes.allocate(1));
  }
  const auto idle_before = recycled_allocator<char>::idle_blocks();
  for (char* p : blocks) {
    bytes.deallocate(p, 1);
  }
  EXPECT_EQ(recycled_allocator<char>::idle_blocks(), recycled_allocator<char>::kept);
  EXPECT_LE(idle_before, recycled_allocator<char>::kept);
  // Another thread starts with an empty list, and keeps what it frees.
  char* handed = bytes.allocate(1);
  std::size_t idle_there = 99;
  std::size_t idle_after = 99;
  std::thread([&] {
    idle_there = recycled_allocator<char>::idle_blocks();
    recycled_allocator<char>{}.deallocate(handed, 1);
    idle_after = recycled_allocator<char>::idle_blocks();
  }).join();
  EXPECT_EQ(idle_there, 0u);
  EXPECT_EQ(idle_after, 1u);
}

TEST(RecycledAllocator, AnArrayIsNotKept) {
  recycled_allocator<int> ints;
  const auto idle = recycled_allocator<int>::idle_blocks();
  int* p = ints.allocate(4);
  p[3] = 7;
  ints.deallocate(p, 4);
  EXPECT_EQ(recycled_allocator<int>::idle_blocks(), idle);
}

}  // namespace
}  // namespace tandem::proxy
