// The per-thread recycling of byte buffers (issue 17): what is given back comes out
// again empty with its capacity, and the pool stays bounded in count and in buffer size.
#include "protocol/buffer_pool.hpp"
#include "protocol/connection_codec.hpp"

#include <gtest/gtest.h>

namespace tandem::protocol {
namespace {

void drain() {
  while (buffer_pool::kept_on_this_thread() > 0) {
    (void)buffer_pool::take();
  }
}

TEST(BufferPool, ABufferGivenBackComesOutEmptyWithItsCapacity) {
  drain();
  bytes b(200, std::byte{1});
  const auto* data = b.data();
  buffer_pool::give_back(std::move(b));
  ASSERT_EQ(buffer_pool::kept_on_this_thread(), 1u);
  auto again = buffer_pool::take();
  EXPECT_TRUE(again.empty());
  EXPECT_GE(again.capacity(), 200u);
  EXPECT_EQ(again.data(), data);  // the same block: nothing allocated
  EXPECT_EQ(buffer_pool::kept_on_this_thread(), 0u);
  EXPECT_EQ(buffer_pool::take().capacity(), 0u);  // an empty pool gives a new, empty buffer
}

TEST(BufferPool, BigBuffersAndBuffersPastTheCountAreNotKept) {
  drain();
  buffer_pool::give_back(bytes(buffer_pool::max_kept_capacity + 1));
  EXPECT_EQ(buffer_pool::kept_on_this_thread(), 0u);
  buffer_pool::give_back(bytes{});  // no capacity: nothing worth keeping
  EXPECT_EQ(buffer_pool::kept_on_this_thread(), 0u);
  for (std::size_t i = 0; i < buffer_pool::max_kept + 10; ++i) {
    buffer_pool::give_back(bytes(64));
  }
  EXPECT_EQ(buffer_pool::kept_on_this_thread(), buffer_pool::max_kept);
  drain();
}

TEST(BufferPool, KeepsAtMostMaxKeptBytesOfCapacity) {
  drain();
  const std::size_t each = buffer_pool::max_kept_capacity;
  const std::size_t fit = buffer_pool::max_kept_bytes / each;
  for (std::size_t i = 0; i < fit + 3; ++i) {
    buffer_pool::give_back(bytes(each));
  }
  EXPECT_EQ(buffer_pool::kept_on_this_thread(), fit);
  EXPECT_LE(buffer_pool::bytes_kept_on_this_thread(), buffer_pool::max_kept_bytes);
  (void)buffer_pool::take();
  EXPECT_LE(buffer_pool::bytes_kept_on_this_thread(), buffer_pool::max_kept_bytes - each);
  drain();
  EXPECT_EQ(buffer_pool::bytes_kept_on_this_thread(), 0u);
}

TEST(BufferPool, AnOwnedFrameGivesItsBodyBackWhenDestroyed) {
  drain();
  const std::byte* data = nullptr;
  {
    owned_frame f{frame_header{}, bytes(100, std::byte{7})};
    data = f.body.data();
    owned_frame moved = std::move(f);  // a move hands the block over: given back once
    EXPECT_EQ(moved.body.data(), data);
  }
  ASSERT_EQ(buffer_pool::kept_on_this_thread(), 1u);
  EXPECT_EQ(buffer_pool::take().data(), data);
}

TEST(BufferPool, TheCodecDecodesIntoAGivenBackBuffer) {
  drain();
  bytes spare;
  spare.reserve(512);
  const std::byte* data = spare.data();
  buffer_pool::give_back(std::move(spare));
  connection_codec codec;
  const frame_header h{protocol_version::v4, false, 0, 3, opcode::options, 0};
  const bytes body(20, std::byte{1});
  codec.feed(encode_frame(h, body));
  auto f = codec.next();
  ASSERT_TRUE(f && *f);
  EXPECT_EQ((*f)->body.data(), data);  // no new block for the body
  EXPECT_EQ((*f)->body, body);
}

}  // namespace
}  // namespace tandem::protocol
