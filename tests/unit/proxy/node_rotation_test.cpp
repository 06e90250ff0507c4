#include "proxy/node_rotation.hpp"

#include <gtest/gtest.h>

namespace tandem::proxy {
namespace {

using namespace std::chrono_literals;
using client::cluster_endpoint;

const cluster_endpoint a{"127.0.0.2", 9042};
const cluster_endpoint b{"127.0.0.4", 9042};
const cluster_endpoint c{"127.0.0.6", 9042};

node_rotation three_nodes() {
  node_rotation r(5s);
  r.set_nodes({a, b, c});
  return r;
}

TEST(NodeRotation, TakesTurnsOverEveryNode) {
  auto r = three_nodes();
  const auto now = node_rotation::clock::now();
  EXPECT_EQ(r.next(now), a);
  EXPECT_EQ(r.next(now), b);
  EXPECT_EQ(r.next(now), c);
  EXPECT_EQ(r.next(now), a);
}

TEST(NodeRotation, SkipsANodeMarkedDownUntilItsRetryTime) {
  auto r = three_nodes();
  const auto t0 = node_rotation::clock::now();
  r.mark_down(b, t0);
  std::vector<cluster_endpoint> seen;
  for (int i = 0; i < 6; ++i) seen.push_back(r.next(t0 + 1s));
  EXPECT_EQ(std::count(seen.begin(), seen.end(), b), 0);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), a), 3);
  EXPECT_TRUE(r.is_down(b, t0 + 4s));
  // Back into rotation once the retry time has passed.
  EXPECT_FALSE(r.is_down(b, t0 + 5s));
  seen.clear();
  for (int i = 0; i < 3; ++i) seen.push_back(r.next(t0 + 6s));
  EXPECT_EQ(std::count(seen.begin(), seen.end(), b), 1);
}

TEST(NodeRotation, ANodeMarkedUpIsUsedAtOnce) {
  auto r = three_nodes();
  const auto t0 = node_rotation::clock::now();
  r.mark_down(a, t0);
  r.mark_up(a);
  EXPECT_FALSE(r.is_down(a, t0));
  EXPECT_EQ(r.next(t0), a);
}

TEST(NodeRotation, WhenAllAreDownTheOneMarkedLongestAgoIsTried) {
  auto r = three_nodes();
  const auto t0 = node_rotation::clock::now();
  r.mark_down(c, t0);
  r.mark_down(a, t0 + 1s);
  r.mark_down(b, t0 + 2s);
  EXPECT_EQ(r.next(t0 + 3s), c);
  r.mark_down(c, t0 + 3s);  // c failed again: a is now the oldest mark
  EXPECT_EQ(r.next(t0 + 3s), a);
}

TEST(NodeRotation, NewNodesKeepTheMarksOfNodesStillListed) {
  auto r = three_nodes();
  const auto t0 = node_rotation::clock::now();
  r.mark_down(a, t0);
  r.mark_down(c, t0);
  r.set_nodes({a, b});
  EXPECT_TRUE(r.is_down(a, t0 + 1s));
  EXPECT_FALSE(r.is_down(c, t0 + 1s));  // dropped with the node
  EXPECT_EQ(r.next(t0 + 1s), b);
}

}  // namespace
}  // namespace tandem::proxy
