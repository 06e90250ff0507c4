// The write clock: strictly increasing microsecond timestamps, across threads and when the
// time source steps backwards. Time sources are injected: no sleeping, no timing assertions.
#include "client/write_clock.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <vector>

namespace tandem::proxy {
namespace {

TEST(WriteClock, FollowsTheTimeSourceWhenItMovesForward) {
  std::int64_t now = 1'000;
  client::write_clock clock([&now] { return now; });
  EXPECT_EQ(clock.next(), 1'000);
  now = 5'000;
  EXPECT_EQ(clock.next(), 5'000);
  EXPECT_EQ(clock.last(), 5'000);
}

TEST(WriteClock, NeverRepeatsATimestampWithinOneMicrosecond) {
  client::write_clock clock([] { return std::int64_t{42}; });
  EXPECT_EQ(clock.next(), 42);
  EXPECT_EQ(clock.next(), 43);
  EXPECT_EQ(clock.next(), 44);
}

// A burst of writes read together shares one reading of the clock (issue 17): each still gets
// a timestamp of its own, above every earlier one, whichever way the times were taken.
TEST(WriteClock, ABurstStampedWithOneReadingGetsDistinctRisingTimestamps) {
  std::int64_t now = 7'000;
  client::write_clock clock([&now] { return now; });
  EXPECT_EQ(clock.next(), 7'000);
  EXPECT_EQ(clock.next(9'000), 9'000);  // the caller's reading, later than the last
  EXPECT_EQ(clock.next(9'000), 9'001);
  EXPECT_EQ(clock.next(9'000), 9'002);
  EXPECT_EQ(clock.next(8'500), 9'003);  // a reading older than the last timestamp
  now = 9'001;
  EXPECT_EQ(clock.next(), 9'004);       // the source's own reading is behind too
  EXPECT_EQ(clock.next(12'000), 12'000);
  EXPECT_EQ(clock.last(), 12'000);
}

TEST(WriteClock, KeepsIncreasingWhenTheClockGoesBackwards) {
  std::int64_t now = 10'000;
  client::write_clock clock([&now] { return now; });
  const std::int64_t before = clock.next();
  now = 9'000;  // an NTP step back
  const std::int64_t a = clock.next();
  const std::int64_t b = clock.next();
  EXPECT_GT(a, before);
  EXPECT_GT(b, a);
  now = 20'000;  // the clock catches up and overtakes
  EXPECT_EQ(clock.next(), 20'000);
}

TEST(WriteClock, IsStrictlyMonotonicAcrossThreads) {
  // A source that moves backwards on every other call, shared by all threads.
  std::atomic<std::int64_t> calls{0};
  client::write_clock clock([&calls] {
    const std::int64_t n = calls.fetch_add(1);
    return 1'000'000 + (n % 2 == 0 ? n : -n);
  });
  constexpr int threads = 4;
  constexpr int per_thread = 5000;
  std::vector<std::vector<std::int64_t>> seen(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&clock, &seen, t] {
      seen[t].reserve(per_thread);
      for (int i = 0; i < per_thread; ++i) {
        seen[t].push_back(clock.next());
      }
    });
  }
  for (auto& w : workers) {
    w.join();
  }
  std::set<std::int64_t> all;
  for (const auto& s : seen) {
    EXPECT_TRUE(std::is_sorted(s.begin(), s.end()));
    EXPECT_EQ(std::adjacent_find(s.begin(), s.end()), s.end()) << "a thread saw a repeat";
    all.insert(s.begin(), s.end());
  }
  EXPECT_EQ(all.size(), static_cast<std::size_t>(threads * per_thread)) << "no two calls share one";
  EXPECT_EQ(clock.last(), *all.rbegin());
}

TEST(WriteClock, UsesMicrosecondsSinceTheEpochByDefault) {
  client::write_clock clock;
  const std::int64_t ts = clock.next();
  // 2020-01-01 and 2200-01-01 in microseconds: a second- or nanosecond-based clock would fall
  // outside.
  EXPECT_GT(ts, 1'577'836'800'000'000);
  EXPECT_LT(ts, 7'258'118'400'000'000);
  EXPECT_GT(clock.next(), ts);
}

}  // namespace
}  // namespace tandem::proxy
