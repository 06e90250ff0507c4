// The prepared-statement map: LRU order, eviction counting, update in place, the secondary
// index, and a concurrency smoke test (ThreadSanitizer/ASan find the races; no timing here).
#include "proxy/prepared_id_map.hpp"

#include "unit/test_hex.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace tandem::proxy {
namespace {

protocol::bytes id(std::string_view s) { return test::text_bytes(s); }

prepared_entry entry(std::string_view primary, std::string_view secondary,
                     std::string_view query = "INSERT INTO t (k) VALUES (?)") {
  prepared_entry e;
  e.primary_id = id(primary);
  e.secondary_id = id(secondary);
  e.query = std::string(query);
  e.prepared_query = e.query;
  e.cls = request_class::write;
  return e;
}

TEST(PreparedIdMap, FindsWhatWasPut) {
  prepared_id_map m(4);
  auto e = entry("p1", "s1");
  e.keyspace = "ks";
  e.added_markers = {{protocol::cql::nondeterministic_function::now, 1, "[bind1]"},
                     {protocol::cql::nondeterministic_function::uuid, 3, "id"}};
  m.put(e);
  auto found = m.find(id("p1"));
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(*found, e);
  EXPECT_EQ(m.find(id("nope")), nullptr);
  EXPECT_EQ(m.size(), 1u);
}

TEST(PreparedIdMap, EvictsTheLeastRecentlyUsedAndCountsEvictions) {
  prepared_id_map m(2);
  m.put(entry("a", "sa"));
  m.put(entry("b", "sb"));
  ASSERT_NE(m.find(id("a")), nullptr);  // a is now more recent than b
  m.put(entry("c", "sc"));
  EXPECT_EQ(m.find(id("b")), nullptr);
  EXPECT_NE(m.find(id("c")), nullptr);
  EXPECT_NE(m.find(id("a")), nullptr);
  EXPECT_EQ(m.size(), 2u);
  EXPECT_EQ(m.evictions(), 1u);
  EXPECT_EQ(m.find_by_secondary(id("sb")), nullptr) << "an evicted entry leaves no index";

  m.put(entry("d", "sd"));  // a was found after c: c is the least recent now
  EXPECT_EQ(m.find(id("c")), nullptr);
  EXPECT_NE(m.find(id("a")), nullptr);
  EXPECT_EQ(m.evictions(), 2u);
}

TEST(PreparedIdMap, LookupBySecondaryIdAlsoRefreshesTheEntry) {
  prepared_id_map m(2);
  m.put(entry("a", "sa"));
  m.put(entry("b", "sb"));
  ASSERT_NE(m.find_by_secondary(id("sa")), nullptr);
  m.put(entry("c", "sc"));
  EXPECT_NE(m.find(id("a")), nullptr);
  EXPECT_EQ(m.find(id("b")), nullptr);
}

TEST(PreparedIdMap, PuttingTheSameIdUpdatesInPlace) {
  prepared_id_map m(2);
  m.put(entry("a", "old-secondary", "old text"));
  m.put(entry("b", "sb"));
  m.put(entry("a", "new-secondary", "new text"));
  EXPECT_EQ(m.size(), 2u);
  EXPECT_EQ(m.evictions(), 0u);
  EXPECT_EQ(m.find(id("a"))->query, "new text");
  EXPECT_EQ(m.find_by_secondary(id("old-secondary")), nullptr);
  ASSERT_NE(m.find_by_secondary(id("new-secondary")), nullptr);
  EXPECT_EQ(m.find_by_secondary(id("new-secondary"))->primary_id, id("a"));
  m.put(entry("c", "sc"));  // a was refreshed by the update: b goes
  EXPECT_EQ(m.find(id("b")), nullptr);
}

TEST(PreparedIdMap, UpdatesTheSecondaryIdsAfterARePrepare) {
  prepared_id_map m(4);
  auto before = m.put(entry("a", "s-old"));
  auto after = m.update_secondary(id("a"), id("s-new"), id("rm-new"));
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(after->secondary_id, id("s-new"));
  EXPECT_EQ(after->secondary_result_metadata_id, id("rm-new"));
  EXPECT_EQ(before->secondary_id, id("s-old")) << "handed-out entries never change";
  EXPECT_EQ(m.find_by_secondary(id("s-old")), nullptr);
  EXPECT_EQ(m.find_by_secondary(id("s-new"))->primary_id, id("a"));
  EXPECT_EQ(m.update_secondary(id("missing"), id("x"), {}), nullptr);
}

TEST(PreparedIdMap, SharedSecondaryIdPointsAtTheMostRecentPutAndSurvivesTheOthersRemoval) {
  prepared_id_map m(4);
  m.put(entry("a", "same"));
  m.put(entry("b", "same"));
  EXPECT_EQ(m.find_by_secondary(id("same"))->primary_id, id("b"));
  EXPECT_TRUE(m.erase(id("a")));
  ASSERT_NE(m.find_by_secondary(id("same")), nullptr);
  EXPECT_EQ(m.find_by_secondary(id("same"))->primary_id, id("b"));
}

TEST(PreparedIdMap, EntriesWithoutSecondaryIdAreNotIndexed) {
  prepared_id_map m(4);
  m.put(entry("a", ""));
  EXPECT_EQ(m.find_by_secondary(id("")), nullptr);
  EXPECT_NE(m.find(id("a")), nullptr);
}

TEST(PreparedIdMap, EraseRemovesBothIndexes) {
  prepared_id_map m(4);
  m.put(entry("a", "sa"));
  EXPECT_TRUE(m.erase(id("a")));
  EXPECT_FALSE(m.erase(id("a")));
  EXPECT_EQ(m.find(id("a")), nullptr);
  EXPECT_EQ(m.find_by_secondary(id("sa")), nullptr);
  EXPECT_EQ(m.size(), 0u);
}

TEST(PreparedIdMap, EntriesHandedOutOutliveTheirEviction) {
  prepared_id_map m(1);
  auto held = m.put(entry("a", "sa", "kept text"));
  m.put(entry("b", "sb"));
  EXPECT_EQ(m.find(id("a")), nullptr);
  EXPECT_EQ(held->query, "kept text");
}

TEST(PreparedIdMap, IdsNameTheClusterThatIssuedThem) {
  auto e = entry("p", "s");
  e.primary_cluster = cluster::target;  // prepared after a flip
  e.primary_result_metadata_id = id("rp");
  e.secondary_result_metadata_id = id("rs");
  EXPECT_EQ(e.id_for(cluster::target), id("p"));
  EXPECT_EQ(e.id_for(cluster::source), id("s"));
  EXPECT_EQ(e.result_metadata_id_for(cluster::target), id("rp"));
  EXPECT_EQ(e.result_metadata_id_for(cluster::source), id("rs"));
}

TEST(PreparedIdMap, RejectsZeroCapacity) {
  EXPECT_THROW(prepared_id_map(0), std::invalid_argument);
}

TEST(PreparedIdMap, StaysConsistentUnderConcurrentUse) {
  constexpr std::size_t capacity = 64;
  prepared_id_map m(capacity);
  constexpr int threads = 4;
  constexpr int per_thread = 2000;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&m, t] {
      for (int i = 0; i < per_thread; ++i) {
        const std::string key = std::to_string((t * 7 + i) % 200);
        switch (i % 4) {
          case 0: m.put(entry(key, "s" + key)); break;
          case 1: {
            auto e = m.find(id(key));
            if (e != nullptr && e->primary_id != id(key)) {
              ADD_FAILURE() << "entry under the wrong key";
            }
            break;
          }
          case 2: m.find_by_secondary(id("s" + key)); break;
          default: m.update_secondary(id(key), id("s" + key), {}); break;
        }
      }
    });
  }
  for (auto& w : workers) {
    w.join();
  }
  EXPECT_LE(m.size(), capacity);
  EXPECT_GT(m.evictions(), 0u);
  // Every entry still found by primary is found by its secondary id too.
  for (int k = 0; k < 200; ++k) {
    const std::string key = std::to_string(k);
    if (auto e = m.find(id(key))) {
      ASSERT_NE(m.find_by_secondary(id("s" + key)), nullptr) << key;
    }
  }
}

// Issue 17: a session's cache of entries, found without the map's lock, never hands out an entry
// the map has replaced or removed since.
TEST(PreparedLookupCache, HitsWithoutTheMapAndDropsWhatTheMapChanged) {
  prepared_id_map m(4);
  prepared_lookup_cache cache;
  m.put(entry("p1", "s1"));
  m.put(entry("p2", "s2"));
  auto first = cache.find(m, id("p1"));
  ASSERT_TRUE(first);
  const auto gen = m.generation();
  m.put(entry("p3", "s3"));  // an addition: what the cache holds is still the map's
  EXPECT_EQ(m.generation(), gen);
  EXPECT_EQ(cache.find(m, id("p1")), first);  // the same object: served from the cache

  m.update_secondary(id("p1"), id("s1b"), {});  // re-prepared on the secondary: replaced
  EXPECT_NE(m.generation(), gen);
  auto after = cache.find(m, id("p1"));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->secondary_id, id("s1b"));

  auto replaced = entry("p1", "s1c");
  m.put(replaced);  // a re-PREPARE (new result metadata after an ALTER): replaced again
  EXPECT_EQ(cache.find(m, id("p1"))->secondary_id, id("s1c"));

  m.erase(id("p1"));
  EXPECT_FALSE(cache.find(m, id("p1")));
  EXPECT_FALSE(cache.find(m, id("nope")));
  EXPECT_TRUE(cache.find(m, id("p2")));
}

TEST(PreparedLookupCache, KeepsTheLastEightAndStillFindsTheRest) {
  prepared_id_map m(64);
  prepared_lookup_cache cache;
  for (int i = 0; i < 20; ++i) {
    m.put(entry("p" + std::to_string(i), "s" + std::to_string(i)));
  }
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 20; ++i) {
      auto e = cache.find(m, id("p" + std::to_string(i)));
      ASSERT_TRUE(e);
      EXPECT_EQ(e->secondary_id, id("s" + std::to_string(i)));
    }
  }
}

}  // namespace
}  // namespace tandem::proxy
