// Stream ids of a cluster connection: exhaustion, reuse, abandoned (timed-out) ids, wrong
// releases, and the in-flight count.
#include "proxy/stream_id_map.hpp"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace tandem::proxy {
namespace {

struct pending {
  std::int16_t client_stream = 0;
  std::string token;
};

TEST(StreamIdMap, HandsOutDistinctIdsUntilExhausted) {
  stream_id_map<pending> m(3);
  std::set<std::int16_t> ids;
  for (std::int16_t i = 0; i < 3; ++i) {
    auto id = m.acquire({i, "r"});
    ASSERT_TRUE(id.has_value());
    EXPECT_GE(*id, 0);
    EXPECT_LT(*id, 3);
    ids.insert(*id);
  }
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(m.in_flight(), 3u);
  EXPECT_TRUE(m.full());
  EXPECT_FALSE(m.acquire({9, "overflow"}).has_value());
}

TEST(StreamIdMap, ReleaseReturnsWhatWasStoredAndFreesTheId) {
  stream_id_map<pending> m(1);
  auto id = m.acquire({7, "first"});
  ASSERT_TRUE(id);
  EXPECT_EQ(m.find(*id)->client_stream, 7);
  auto got = m.release(*id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->client_stream, 7);
  EXPECT_EQ(got->token, "first");
  EXPECT_EQ(m.in_flight(), 0u);
  auto again = m.acquire({8, "second"});
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *id);
  EXPECT_EQ(m.release(*again)->token, "second");
}

TEST(StreamIdMap, ReusesIdsFirstInFirstOut) {
  stream_id_map<int> m(3);
  const auto a = *m.acquire(1);
  const auto b = *m.acquire(2);
  const auto c = *m.acquire(3);
  m.release(b);
  m.release(a);
  EXPECT_EQ(*m.acquire(4), b);
  EXPECT_EQ(*m.acquire(5), a);
  m.release(c);
  EXPECT_EQ(*m.acquire(6), c);
}

TEST(StreamIdMap, CountsReleasesOfIdsNotInFlight) {
  stream_id_map<int> m(4);
  EXPECT_FALSE(m.release(0).has_value());   // never acquired
  EXPECT_FALSE(m.release(-1).has_value());  // an event's stream, not ours
  EXPECT_FALSE(m.release(4).has_value());   // beyond the capacity
  const auto id = *m.acquire(1);
  EXPECT_TRUE(m.release(id).has_value());
  EXPECT_FALSE(m.release(id).has_value());  // twice
  EXPECT_EQ(m.bad_releases(), 4u);
  EXPECT_EQ(m.in_flight(), 0u);
}

TEST(StreamIdMap, AbandonedIdsStayReservedUntilTheirLateAnswer) {
  stream_id_map<int> m(1);
  const auto id = *m.acquire(11);
  EXPECT_EQ(m.abandon(id), 11);
  EXPECT_EQ(m.find(id), nullptr);
  EXPECT_FALSE(m.abandon(id).has_value());
  EXPECT_EQ(m.in_flight(), 1u);
  EXPECT_FALSE(m.acquire(12).has_value()) << "the late answer could be mistaken for this one";
  EXPECT_FALSE(m.release(id).has_value());  // the late answer: dropped, id freed
  EXPECT_EQ(m.late_answers(), 1u);
  EXPECT_EQ(m.bad_releases(), 0u);
  EXPECT_TRUE(m.acquire(13).has_value());
}

TEST(StreamIdMap, ClearFailsEveryPendingRequestAndFreesAllIds) {
  stream_id_map<int> m(4);
  const auto a = *m.acquire(1);
  const auto b = *m.acquire(2);
  m.acquire(3);
  m.abandon(b);
  std::vector<int> failed;
  m.clear([&](std::int16_t id, int v) {
    EXPECT_NE(id, b);
    failed.push_back(v);
  });
  EXPECT_EQ(failed, (std::vector<int>{1, 3}));
  EXPECT_EQ(m.in_flight(), 0u);
  EXPECT_FALSE(m.release(a).has_value());
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(m.acquire(i).has_value());
  }
}

TEST(StreamIdMap, OffersTheWholeV3Range) {
  stream_id_map<int> m;
  EXPECT_EQ(m.capacity(), 32768u);
  std::int16_t highest = 0;
  for (std::size_t i = 0; i < m.capacity(); ++i) {
    highest = std::max(highest, *m.acquire(0));
  }
  EXPECT_EQ(highest, 32767);
  EXPECT_FALSE(m.acquire(0).has_value());
}

TEST(StreamIdMap, RejectsCapacitiesOutsideTheProtocolRange) {
  EXPECT_THROW(stream_id_map<int>(0), std::invalid_argument);
  EXPECT_THROW(stream_id_map<int>(32769), std::invalid_argument);
  EXPECT_EQ(checked_stream_capacity(1024), 1024u);
}

}  // namespace
}  // namespace tandem::proxy
