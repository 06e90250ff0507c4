// The per-thread recycling of encoded frames' buffers (issue 17): what is given back comes out
// again empty with its capacity, and the pool stays bounded in count and in buffer size.
#include "client/frame_buffers.hpp"

#include <gtest/gtest.h>

namespace tandem::client {
namespace {

void drain() {
  while (frame_buffers::kept_on_this_thread() > 0) {
    (void)frame_buffers::take();
  }
}

TEST(FrameBuffers, ABufferGivenBackComesOutEmptyWithItsCapacity) {
  drain();
  protocol::bytes b(200, std::byte{1});
  const auto* data = b.data();
  frame_buffers::give_back(std::move(b));
  ASSERT_EQ(frame_buffers::kept_on_this_thread(), 1u);
  auto again = frame_buffers::take();
  EXPECT_TRUE(again.empty());
  EXPECT_GE(again.capacity(), 200u);
  EXPECT_EQ(again.data(), data);  // the same block: nothing allocated
  EXPECT_EQ(frame_buffers::kept_on_this_thread(), 0u);
  EXPECT_EQ(frame_buffers::take().capacity(), 0u);  // an empty pool gives a new, empty buffer
}

TEST(FrameBuffers, BigBuffersAndBuffersPastTheCountAreNotKept) {
  drain();
  frame_buffers::give_back(protocol::bytes(frame_buffers::max_kept_capacity + 1));
  EXPECT_EQ(frame_buffers::kept_on_this_thread(), 0u);
  frame_buffers::give_back(protocol::bytes{});  // no capacity: nothing worth keeping
  EXPECT_EQ(frame_buffers::kept_on_this_thread(), 0u);
  for (std::size_t i = 0; i < frame_buffers::max_kept + 10; ++i) {
    frame_buffers::give_back(protocol::bytes(64));
  }
  EXPECT_EQ(frame_buffers::kept_on_this_thread(), frame_buffers::max_kept);
  drain();
}

}  // namespace
}  // namespace tandem::client
