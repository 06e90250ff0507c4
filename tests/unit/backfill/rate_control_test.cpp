// Adaptive concurrency, the push-back pacer and the ceilings (backfill/rate_control.hpp). The
// simulations stand in for a target whose shape a real node cannot be made to hold still: k
// writes served at once (more wait in its queue), or a rate limit that refuses the excess.
#include "backfill/rate_control.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <queue>
#include <random>
#include <vector>

namespace tandem::backfill {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

// Successes `latency` apart in time, as when one write is in flight.
struct feed {
  aimd_limit& l;
  clock_type::time_point now = clock_type::time_point{} + 1h;
  void operator()(std::chrono::microseconds latency, unsigned in_flight = 1) {
    now += latency / std::max(1u, in_flight);
    l.on_success(latency, now);
  }
};

TEST(RateControl, GrowsByOnePerRoundTripUpToTheCeiling) {
  aimd_limit l(10, 4);
  feed on_success{l};
  for (int i = 0; i < 4; ++i) on_success(1ms);
  EXPECT_EQ(l.limit(), 5u);
  for (int i = 0; i < 1000; ++i) on_success(1ms);
  EXPECT_EQ(l.limit(), 10u);
}

TEST(RateControl, HalvesOnPushBackOncePerRoundTrip) {
  aimd_limit l(64, 32);
  feed on_success{l};
  l.on_pushback();
  EXPECT_EQ(l.limit(), 16u);
  l.on_pushback();  // the same burst: no second halving
  EXPECT_EQ(l.limit(), 16u);
  for (int i = 0; i < 20; ++i) on_success(1ms);
  l.on_pushback();
  EXPECT_EQ(l.limit(), 8u);
  for (int i = 0; i < 20; ++i) l.on_pushback();
  EXPECT_GE(l.limit(), 1u);
  EXPECT_EQ(l.decreases(), 2u);
}

TEST(RateControl, AFixedLimitStaysWhereItIsSet) {
  aimd_limit l(64, 64, false);
  feed on_success{l};
  for (int i = 0; i < 1000; ++i) on_success(i % 2 ? 1ms : 90ms);
  l.on_pushback();
  EXPECT_EQ(l.limit(), 64u);
  EXPECT_EQ(l.decreases(), 0u);
}

TEST(RateControl, AQueueOnTheTargetEasesTheLimitOffByTenthsNotHalvings) {
  aimd_limit l(64, 40);
  feed on_success{l};
  for (int i = 0; i < 400; ++i) on_success(2ms);
  const auto before = l.limit();
  for (unsigned i = 0; i < before; ++i) on_success(20ms);  // a round trip of queueing
  EXPECT_LT(l.limit(), before);
  EXPECT_GE(l.limit(), before - before / 10 - 1);
  for (int i = 0; i < 2000; ++i) on_success(20ms);
  EXPECT_GE(l.decreases(), 2u);
}

// A target that serves k writes at once in `base` each; the rest queue. Every round trip the
// controller sends `limit` writes, each seeing the latency of that load with multiplicative
// noise up to `noise` (a busy 2-core machine). Throughput is min(limit, k) / base, so the best
// fixed concurrency is k: the limit must end at no less than 80 % of it, and not far above.
unsigned settle(unsigned k, double noise, unsigned seed) {
  aimd_limit l(256, 8);
  feed on_success{l};
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> jitter(1.0, 1.0 + noise);
  const double base_us = 2000;
  for (int round = 0; round < 3000; ++round) {
    const unsigned n = l.limit();
    const double load = std::max(1.0, static_cast<double>(n) / k);
    for (unsigned i = 0; i < n; ++i) {
      on_success(std::chrono::microseconds(static_cast<long>(base_us * load * jitter(rng))), n);
    }
  }
  return l.limit();
}

TEST(RateControl, SettlesAtTheKneeOfTheTargetEvenOnANoisyMachine) {
  for (unsigned k : {8u, 16u, 64u, 128u}) {
    for (double noise : {0.0, 0.5, 1.5}) {
      const unsigned at = settle(k, noise, k * 7 + 1);
      EXPECT_GE(at, k * 8 / 10) << "k " << k << " noise " << noise;
      EXPECT_LE(at, k * 2 + 16) << "k " << k << " noise " << noise;
    }
  }
}

// A target with a rate limit of `rate` requests/s that answers Overloaded at once past it (a
// token bucket of 1/100 s, as Cassandra's native_transport_max_requests_per_second), reached
// by `slots` writers of `latency` each, paced by pushback_pacer. Returns the accepted and
// refused requests per second over the last `measure` of `total` seconds.
struct paced_result {
  double accepted_per_s;
  double refused_per_s;
  double ceiling;
};

paced_result run_paced(double rate, int slots, std::chrono::microseconds latency, int total,
                       int measure) {
  pushback_pacer pacer;
  const auto t0 = clock_type::time_point{} + 1h;
  double target_tokens = rate / 100;
  auto target_last = t0;
  // (time a slot is free again) — one event per slot.
  std::priority_queue<clock_type::time_point, std::vector<clock_type::time_point>, std::greater<>> free_at;
  for (int i = 0; i < slots; ++i) free_at.push(t0);
  const auto end = t0 + std::chrono::seconds(total);
  const auto from = end - std::chrono::seconds(measure);
  double accepted = 0, refused = 0;
  while (true) {
    auto now = free_at.top();
    free_at.pop();
    if (now >= end) break;
    now += pacer.take(now);
    target_tokens = std::min(rate / 100, target_tokens +
                                             std::chrono::duration<double>(now - target_last).count() * rate);
    target_last = now;
    if (target_tokens >= 1) {
      target_tokens -= 1;
      const auto done = now + latency;
      pacer.on_accepted(done);
      if (now >= from) ++accepted;
      free_at.push(done);
    } else {
      const auto done = now + 200us;  // refused before it is executed: a quick answer
      pacer.on_pushback(done, std::nullopt);
      if (now >= from) ++refused;
      free_at.push(done + retry_delay(1));
    }
  }
  return {accepted / measure, refused / measure, pacer.ceiling()};
}

TEST(RateControl, PacerHoldsARateLimitedTargetCloseToItsLimit) {
  for (double rate : {300.0, 2000.0, 10000.0}) {
    const auto r = run_paced(rate, 32, 2ms, 40, 30);
    EXPECT_GE(r.accepted_per_s, 0.85 * rate) << "limit " << rate;
    EXPECT_LE(r.accepted_per_s, 1.0 * rate + 1) << "limit " << rate;
    // Refusals are the probes at the top of each saw tooth, not a stream of errors.
    EXPECT_LE(r.refused_per_s, 0.1 * rate) << "limit " << rate;
    EXPECT_GT(r.ceiling, 0) << "limit " << rate;
  }
}

TEST(RateControl, PacerSetsNoPaceUntilTheTargetRefusesAndHonoursItsHint) {
  pushback_pacer p;
  const auto t = clock_type::time_point{} + 1h;
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(p.take(t + std::chrono::microseconds(i)), 0us);
    p.on_accepted(t + std::chrono::microseconds(i));
  }
  EXPECT_EQ(p.ceiling(), 0);
  p.on_pushback(t + 300ms, 500ms);  // "RetryAfterMs=500"
  EXPECT_GT(p.ceiling(), 0);
  EXPECT_GE(p.take(t + 301ms), 499ms);
  EXPECT_EQ(p.cuts(), 1u);
}

TEST(RateControl, RetryDelayDoublesUpToFiveSeconds) {
  EXPECT_EQ(retry_delay(1), 50ms);
  EXPECT_EQ(retry_delay(2), 100ms);
  EXPECT_EQ(retry_delay(5), 800ms);
  EXPECT_EQ(retry_delay(12), 5000ms);
}

TEST(RateControl, TokenBucketHoldsTheRate) {
  token_bucket b(100);  // 100 per second, 1 s of burst
  const auto t = std::chrono::steady_clock::now();
  EXPECT_EQ(b.take(100, t), 0us);
  EXPECT_EQ(b.take(50, t), 500ms);
  EXPECT_EQ(b.take(0, t + 1s), 0us);  // refilled
  token_bucket none(0);
  EXPECT_EQ(none.take(1e9, t), 0us);
}

}  // namespace
}  // namespace tandem::backfill
