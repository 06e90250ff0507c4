// Counters per thread (issue 17): each thread writes its own block, reading sums every block.
#include "proxy/proxy_stats.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

namespace tandem::proxy {
namespace {

TEST(ProxyStats, CountsFromEveryThreadAreSummed) {
  proxy_stats stats;
  constexpr int threads = 4;
  constexpr int per_thread = 100000;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i) {
        bump(stats.local().requests_write);
      }
      bump(stats.local().requests_read, 3);
    });
  }
  bump(stats.local().routing_changes);
  for (auto& w : workers) {
    w.join();
  }
  const auto counts = stats.snapshot();
  EXPECT_EQ(counts.requests_write, static_cast<std::uint64_t>(threads) * per_thread);
  EXPECT_EQ(counts.requests_read, 3u * threads);
  EXPECT_EQ(counts.routing_changes, 1u);
  EXPECT_EQ(counts.requests_ddl, 0u);
}

TEST(ProxyStats, AThreadKeepsOneBlockPerInstanceAndInstancesDoNotMix) {
  auto a = std::make_unique<proxy_stats>();
  proxy_stats b;
  EXPECT_EQ(&a->local(), &a->local());
  bump(a->local().requests_write);
  bump(b.local().requests_write, 5);
  bump(a->local().requests_write);  // back to a's block, not a new one
  EXPECT_EQ(a->snapshot().requests_write, 2u);
  EXPECT_EQ(b.snapshot().requests_write, 5u);
  a.reset();
  proxy_stats c;  // may take a's address: its counts start at zero all the same
  EXPECT_EQ(c.snapshot().requests_write, 0u);
  bump(c.local().requests_write);
  EXPECT_EQ(c.snapshot().requests_write, 1u);
}

// local() finds a block through a small per-thread table by instance id: instances whose ids
// share a slot (more than the table holds, used in turn) still each get their own block.
TEST(ProxyStats, InstancesThatShareACacheSlotKeepTheirOwnBlocks) {
  std::vector<std::unique_ptr<proxy_stats>> many;
  for (int i = 0; i < 40; ++i) {
    many.push_back(std::make_unique<proxy_stats>());
  }
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < many.size(); ++i) {
      bump(many[i]->local().requests_write, i + 1);
    }
  }
  for (std::size_t i = 0; i < many.size(); ++i) {
    EXPECT_EQ(many[i]->snapshot().requests_write, 3 * (i + 1)) << "instance " << i;
  }
}

// The requests in flight: each thread raises and lowers its own share; the level is the sum.
TEST(PerThreadLevel, SumsTheSharesOfEveryThread) {
  per_thread_level level;
  EXPECT_EQ(level.load(), 0);
  level.add(1);
  level.add(1);
  std::vector<std::thread> workers;
  for (int t = 0; t < 3; ++t) {
    workers.emplace_back([&level, t] {
      for (int i = 0; i < 1000; ++i) {
        level.add(1);
      }
      for (int i = 0; i < 1000 - t; ++i) {
        level.sub(1);
      }
    });
  }
  for (auto& w : workers) {
    w.join();
  }
  EXPECT_EQ(level.load(), 2 + 0 + 1 + 2);
  level.sub(2);
  EXPECT_EQ(level.load(), 3);
}

}  // namespace
}  // namespace tandem::proxy
