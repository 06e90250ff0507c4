// The load generator's requests: an EXECUTE template decodes as the spec's EXECUTE with the
// key put in by with_key (v4 and v5), and the PLAIN token is RFC 4616's.
#include "tools/bench/workload.hpp"

#include "protocol/messages/auth.hpp"
#include "protocol/messages/execute.hpp"

#include <gtest/gtest.h>

namespace tandem::bench {
namespace {

using protocol::bytes;
using protocol::protocol_version;

std::int64_t bigint_of(const protocol::value& v) {
  std::uint64_t out = 0;
  for (std::byte b : v.data) {
    out = (out << 8) | std::to_integer<std::uint64_t>(b);
  }
  return static_cast<std::int64_t>(out);
}

TEST(Workload, ExecuteTemplateCarriesTheKeyAndTheRow) {
  for (const auto v : {protocol_version::v4, protocol_version::v5}) {
    const bytes id(16, std::byte{0xAB});
    const bytes row(100, std::byte{0x61});
    execute_template t(v, id, bytes(16, std::byte{0xCD}), protocol::consistency::local_one, false,
                       {row});
    for (const std::int64_t key : {std::int64_t{0}, std::int64_t{123456789}, std::int64_t{-5}}) {
      auto decoded = protocol::decode_execute(t.with_key(key), v);
      ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
      EXPECT_EQ(decoded->id, id);
      ASSERT_EQ(decoded->params.values.size(), 2u);
      EXPECT_EQ(bigint_of(decoded->params.values[0]), key);
      EXPECT_EQ(decoded->params.values[1].data, row);
      EXPECT_EQ(decoded->params.consistency_level, protocol::consistency::local_one);
      EXPECT_FALSE(decoded->params.default_timestamp.has_value());  // the proxy pins one
      EXPECT_EQ(decoded->result_metadata_id.has_value(), v == protocol_version::v5);
    }
  }
}

TEST(Workload, ReadTemplateAsksForRowsWithoutMetadata) {
  execute_template t(protocol_version::v4, bytes(16, std::byte{1}), std::nullopt,
                     protocol::consistency::one, true, {});
  auto decoded = protocol::decode_execute(t.with_key(42), protocol_version::v4);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(decoded->params.skip_metadata);
  ASSERT_EQ(decoded->params.values.size(), 1u);
  EXPECT_EQ(bigint_of(decoded->params.values[0]), 42);
}

TEST(Workload, PlainTokenIsAuthzidUserPasswordSeparatedByNul) {
  auto m = protocol::decode_auth_response(plain_auth_response("bob", "s3"), protocol_version::v4);
  ASSERT_TRUE(m && m->token);
  const std::string token(reinterpret_cast<const char*>(m->token->data()), m->token->size());
  EXPECT_EQ(token, std::string("\0bob\0s3", 7));
}

TEST(Workload, StatementsNameTheTable) {
  const table_name t{"ks1", "t1"};
  EXPECT_EQ(insert_statement(t), "INSERT INTO ks1.t1 (k, v) VALUES (?, ?)");
  EXPECT_EQ(select_statement(t), "SELECT v FROM ks1.t1 WHERE k = ?");
  EXPECT_EQ(schema_statements(t).size(), 2u);
}

TEST(Workload, RandomKeysStayBelowTheBoundAndRepeatPerSeed) {
  fast_random a(7);
  fast_random b(7);
  for (int i = 0; i < 1000; ++i) {
    const auto k = a.below(1000);
    EXPECT_LT(k, 1000u);
    EXPECT_EQ(k, b.below(1000));
    const double u = a.unit();
    (void)b.unit();
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
  }
}

}  // namespace
}  // namespace tandem::bench
