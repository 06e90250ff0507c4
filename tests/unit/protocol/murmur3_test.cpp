// Tokens of Cassandra's Murmur3Partitioner. The expected values were read from a real Cassandra
// 5.0 node (`SELECT k, token(k) FROM t` for a blob key, and token(a, b) for a two-column key),
// chosen to cover every tail length of the hash, tail bytes >= 0x80 (signed in Java), and keys
// longer than one 16-byte block.
#include "protocol/ring/murmur3.hpp"
#include "unit/test_hex.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tandem::protocol {
namespace {

using test::from_hex;
using test::text_bytes;

struct token_case {
  const char* key_hex;
  std::int64_t token;
};

TEST(Murmur3, GivesTheTokensCassandraGives) {
  const std::vector<token_case> cases = {
      {"61", -8839064797231613815LL},
      {"80", -5284281814142962636LL},
      {"fffe", -2002833339314343643LL},
      {"00000001", -4069959284402364209LL},
      {"ffffffff", 7297452126230313552LL},
      {"00010203040506", -4806350670375744152LL},
      {"0001020304050607", 5163343703268274120LL},
      {"000102030405060708", -309399207242814158LL},
      {"808182838485868788898a8b8c8d8e", 63099782945186636LL},
      {"000102030405060708090a0b0c0d0e0f", 4920504430128807728LL},
      {"f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", -9084739235461062116LL},
      {"000102030405060708090a0b0c0d0e0f10", 6662781046685680142LL},
      {"68c3a96c6c6f2077c3b6726c64", 2840380605349454238LL},  // "héllo wörld" in UTF-8
      {"c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4"
       "f5f6f7f8f9fafbfcfdfe8182",
       -692941850763078461LL},
  };
  for (const auto& c : cases) {
    const auto key = from_hex(c.key_hex);
    EXPECT_EQ(murmur3_token(key), c.token) << c.key_hex;
  }
}

TEST(Murmur3, HashesAKeyOfSeveralColumnsInCompositeForm) {
  struct composite_case {
    std::int32_t a;
    std::string b;
    std::int64_t token;
  };
  const std::vector<composite_case> cases = {
      {1, "x", 746584927563629270LL},
      {-7, "h\xc3\xa9llo", 908871877346422997LL},
      {123456, std::string(20, 'a'), 1248667030708227831LL},
  };
  for (const auto& c : cases) {
    const auto u = static_cast<std::uint32_t>(c.a);
    const bytes a{std::byte(u >> 24), std::byte((u >> 16) & 0xff), std::byte((u >> 8) & 0xff),
                  std::byte(u & 0xff)};
    const bytes b = text_bytes(c.b);
    const std::vector<std::optional<bytes_view>> parts = {bytes_view(a), bytes_view(b)};
    const auto key = routing_key(parts);
    ASSERT_TRUE(key);
    EXPECT_EQ(key->size(), 4 + 3 + b.size() + 3);
    EXPECT_EQ(murmur3_token(*key), c.token) << c.a << " " << c.b;
  }
}

TEST(Murmur3, RoutesNoKeyWithANullOrOversizedComponent) {
  const bytes big(70000, std::byte{1});
  const bytes one{std::byte{1}};
  const std::vector<std::optional<bytes_view>> with_null = {bytes_view(one), std::nullopt};
  EXPECT_FALSE(routing_key(with_null));
  const std::vector<std::optional<bytes_view>> oversized = {bytes_view(one), bytes_view(big)};
  EXPECT_FALSE(routing_key(oversized));
  EXPECT_FALSE(routing_key({}));
  const std::vector<std::optional<bytes_view>> single = {bytes_view(one)};
  EXPECT_EQ(*routing_key(single), one);  // one column: the value itself
}

TEST(Murmur3, RoutingTokenIsTheTokenOfTheRoutingKey) {
  const bytes one{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}};
  const bytes two = text_bytes("h\xc3\xa9llo");
  const bytes big(70000, std::byte{1});
  const std::vector<std::vector<std::optional<bytes_view>>> keys = {
      {bytes_view(one)},                   // one column: hashed in place
      {bytes_view(one), bytes_view(two)},  // composite
      {bytes_view(two), bytes_view(one), bytes_view(one)},
  };
  for (const auto& k : keys) {
    ASSERT_TRUE(routing_token(k));
    EXPECT_EQ(*routing_token(k), murmur3_token(*routing_key(k)));
  }
  const std::vector<std::vector<std::optional<bytes_view>>> unroutable = {
      {}, {std::nullopt}, {bytes_view(big)}, {bytes_view(one), std::nullopt},
      {bytes_view(one), bytes_view(big)}};
  for (const auto& k : unroutable) {
    EXPECT_FALSE(routing_token(k));
    EXPECT_FALSE(routing_key(k));
  }
}

}  // namespace
}  // namespace tandem::protocol
