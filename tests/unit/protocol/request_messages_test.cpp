// Request codecs (spec v4/v5 §4.1) and the auth messages: hand-written hex vectors decoded field
// by field, round trips in v3/v4/v5, and malformed input (every truncation, bad flags, values
// the version does not allow) rejected with an error instead of a crash.
#include "protocol/messages/auth.hpp"
#include "protocol/messages/batch.hpp"
#include "protocol/messages/execute.hpp"
#include "protocol/messages/prepare.hpp"
#include "protocol/messages/query.hpp"
#include "protocol/messages/register.hpp"
#include "protocol/messages/startup.hpp"
#include "unit/test_hex.hpp"

#include <gtest/gtest.h>

#include <functional>

namespace tandem::protocol {
namespace {

using test::from_hex;
using test::to_hex;

using test::all_versions;

bytes b(std::string_view hex) { return from_hex(hex); }

// Every proper prefix of a valid body must fail to decode (requests must be complete).
template <class Decode>
void expect_every_truncation_fails(const bytes& body, protocol_version v, Decode decode) {
  for (std::size_t n = 0; n < body.size(); ++n) {
    auto r = decode(bytes_view{body}.first(n), v);
    EXPECT_FALSE(r.has_value()) << "prefix of " << n << " bytes decoded";
  }
}

// ---- QUERY ----------------------------------------------------------------------------------

const char* const query_v4_hex = R"(
  00000008 53454c454354206b  # [long string] "SELECT k"
  0006                       # LOCAL_QUORUM
  3d                         # values | page_size | paging_state | serial | timestamp
  0002 00000004 0000002a     # 2 values: int 42,
       ffffffff              #           null
  00001388                   # page size 5000
  00000003 010203            # paging state
  0009                       # serial LOCAL_SERIAL
  00060a24181e4000           # timestamp 1700000000000000
)";

TEST(QueryMessage, DecodesAV4VectorFieldByField) {
  auto m = decode_query(b(query_v4_hex), protocol_version::v4).value();
  EXPECT_EQ(m.query, "SELECT k");
  EXPECT_EQ(m.params.consistency_level, consistency::local_quorum);
  ASSERT_EQ(m.params.values.size(), 2u);
  EXPECT_EQ(m.params.values[0], value::of(b("0000002a")));
  EXPECT_EQ(m.params.values[1], value::null());
  EXPECT_FALSE(m.params.names_for_values);
  EXPECT_FALSE(m.params.skip_metadata);
  EXPECT_EQ(m.params.page_size, 5000);
  EXPECT_EQ(m.params.paging_state, b("010203"));
  EXPECT_EQ(m.params.serial_consistency, consistency::local_serial);
  EXPECT_EQ(m.params.default_timestamp, 1700000000000000);
  EXPECT_FALSE(m.params.keyspace);
  EXPECT_EQ(to_hex(encode_query(m, protocol_version::v4)), to_hex(b(query_v4_hex)));
}

const char* const query_v5_hex = R"(
  00000008 53454c454354206b  # [long string] "SELECT k"
  0001                       # ONE
  000001c3                   # values | skip_metadata | names | keyspace | now_in_seconds
  0001 0001 6b 00000001 07   # 1 value named "k": 0x07
  0002 6b73                  # keyspace "ks"
  6553f100                   # now_in_seconds 1700000000
)";

TEST(QueryMessage, DecodesAV5VectorWithNamedValuesKeyspaceAndNow) {
  auto m = decode_query(b(query_v5_hex), protocol_version::v5).value();
  EXPECT_EQ(m.params.consistency_level, consistency::one);
  EXPECT_TRUE(m.params.skip_metadata);
  EXPECT_TRUE(m.params.names_for_values);
  EXPECT_EQ(m.params.names, string_list{"k"});
  EXPECT_EQ(m.params.values, std::vector<value>{value::of(b("07"))});
  EXPECT_EQ(m.params.keyspace, "ks");
  EXPECT_EQ(m.params.now_in_seconds, 1700000000);
  EXPECT_FALSE(m.params.page_size);
  EXPECT_FALSE(m.params.default_timestamp);
  EXPECT_EQ(to_hex(encode_query(m, protocol_version::v5)), to_hex(b(query_v5_hex)));
}

TEST(QueryMessage, FailsOnEveryTruncation) {
  expect_every_truncation_fails(b(query_v4_hex), protocol_version::v4, decode_query);
  expect_every_truncation_fails(b(query_v5_hex), protocol_version::v5, decode_query);
}

TEST(QueryMessage, ReadsTheV5FlagsAsAByteInV4AndRejectsThem) {
  // The v5 body read as v4: flags byte 0x00 then junk, so it must not decode.
  EXPECT_FALSE(decode_query(b(query_v5_hex), protocol_version::v4));
}

query_message full_query(protocol_version v) {
  query_message m;
  m.query = "INSERT INTO ks.t (k, v) VALUES (:k, :v)";
  m.params.consistency_level = consistency::each_quorum;
  m.params.values = {value::of(b("01")), value::null(),
                     v == protocol_version::v3 ? value::of({}) : value::unset()};
  m.params.names_for_values = true;
  m.params.names = {"k", "v", "w"};
  m.params.skip_metadata = true;
  m.params.page_size = -1;
  m.params.paging_state = b("deadbeef");
  m.params.serial_consistency = consistency::serial;
  m.params.default_timestamp = 42;
  if (v == protocol_version::v5) {
    m.params.keyspace = "ks";
    m.params.now_in_seconds = 7;
  }
  return m;
}

TEST(QueryMessage, RoundTripsEveryFlagInEachVersion) {
  for (auto v : all_versions) {
    const auto m = full_query(v);
    const auto body = encode_query(m, v);
    EXPECT_EQ(decode_query(body, v).value(), m) << int(v);
    expect_every_truncation_fails(body, v, decode_query);
  }
}

TEST(QueryMessage, RoundTripsAQueryWithNoOptionalFields) {
  for (auto v : all_versions) {
    query_message m{"USE ks", {}};
    const auto body = encode_query(m, v);
    EXPECT_EQ(body.size(), 4u + 6u + 2u + (v == protocol_version::v5 ? 4u : 1u));
    EXPECT_EQ(decode_query(body, v).value(), m);
  }
}

TEST(QueryMessage, DropsV5OnlyFieldsWhenEncodingV4) {
  auto m = full_query(protocol_version::v5);
  auto decoded = decode_query(encode_query(m, protocol_version::v4), protocol_version::v4).value();
  EXPECT_FALSE(decoded.params.keyspace);
  EXPECT_FALSE(decoded.params.now_in_seconds);
}

TEST(QueryMessage, RejectsUnsetValuesInV3Only) {
  const auto body = b("00000001 78  0001 01 0001 fffffffe");
  EXPECT_EQ(decode_query(body, protocol_version::v3).error(), errc::bad_value);
  EXPECT_EQ(decode_query(body, protocol_version::v4).value().params.values[0], value::unset());
}

TEST(QueryMessage, RejectsAValueLengthBelowMinusTwo) {
  EXPECT_EQ(decode_query(b("00000001 78  0001 01 0001 fffffffd"), protocol_version::v4).error(),
            errc::negative_length);
}

TEST(QueryMessage, RejectsUnknownFlagBits) {
  EXPECT_EQ(decode_query(b("00000001 78 0001 80"), protocol_version::v4).error(), errc::bad_value);
  EXPECT_EQ(decode_query(b("00000001 78 0001 00000200"), protocol_version::v5).error(),
            errc::bad_value);
  EXPECT_EQ(decode_query(b("00000001 78 0001 80000000"), protocol_version::v5).error(),
            errc::bad_value);
}

TEST(QueryMessage, RejectsAnInvalidConsistency) {
  EXPECT_EQ(decode_query(b("00000001 78 000b 00"), protocol_version::v4).error(), errc::bad_value);
}

TEST(QueryMessage, RejectsANullPagingState) {
  EXPECT_EQ(decode_query(b("00000001 78 0001 08 ffffffff"), protocol_version::v4).error(),
            errc::bad_value);
}

TEST(QueryMessage, RejectsTrailingBytes) {
  EXPECT_EQ(decode_query(b("00000001 78 0001 00 00"), protocol_version::v4).error(),
            errc::trailing_bytes);
}

TEST(QueryMessage, RejectsAHostileValueCountWithoutReservingForIt) {
  EXPECT_EQ(decode_query(b("00000001 78 0001 01 ffff 00000000"), protocol_version::v4).error(),
            errc::truncated);
}

// ---- EXECUTE --------------------------------------------------------------------------------

const char* const execute_v4_hex = R"(
  0004 cafebabe       # prepared id
  0004                # QUORUM
  05                  # values | page_size
  0001 fffffffe       # 1 value: unset
  00000064            # page size 100
)";

TEST(ExecuteMessage, DecodesAV4VectorFieldByField) {
  auto m = decode_execute(b(execute_v4_hex), protocol_version::v4).value();
  EXPECT_EQ(m.id, b("cafebabe"));
  EXPECT_FALSE(m.result_metadata_id);
  EXPECT_EQ(m.params.consistency_level, consistency::quorum);
  EXPECT_EQ(m.params.values, std::vector<value>{value::unset()});
  EXPECT_EQ(m.params.page_size, 100);
  EXPECT_FALSE(m.params.default_timestamp);
  EXPECT_EQ(to_hex(encode_execute(m, protocol_version::v4)), to_hex(b(execute_v4_hex)));
  EXPECT_EQ(decode_execute(b(execute_v4_hex), protocol_version::v3).error(), errc::bad_value);
}

const char* const execute_v5_hex = R"(
  0002 abcd           # prepared id
  0002 1234           # result metadata id
  000a                # LOCAL_ONE
  00000132            # skip_metadata | serial | timestamp | now_in_seconds
  0008                # serial SERIAL
  0000000000000001    # timestamp 1
  00000003            # now_in_seconds 3
)";

TEST(ExecuteMessage, DecodesAV5VectorWithResultMetadataId) {
  auto m = decode_execute(b(execute_v5_hex), protocol_version::v5).value();
  EXPECT_EQ(m.id, b("abcd"));
  EXPECT_EQ(m.result_metadata_id, b("1234"));
  EXPECT_EQ(m.params.consistency_level, consistency::local_one);
  EXPECT_TRUE(m.params.skip_metadata);
  EXPECT_TRUE(m.params.values.empty());
  EXPECT_EQ(m.params.serial_consistency, consistency::serial);
  EXPECT_EQ(m.params.default_timestamp, 1);
  EXPECT_EQ(m.params.now_in_seconds, 3);
  EXPECT_EQ(to_hex(encode_execute(m, protocol_version::v5)), to_hex(b(execute_v5_hex)));
}

TEST(ExecuteMessage, FailsOnEveryTruncation) {
  expect_every_truncation_fails(b(execute_v4_hex), protocol_version::v4, decode_execute);
  expect_every_truncation_fails(b(execute_v5_hex), protocol_version::v5, decode_execute);
}

TEST(ExecuteMessage, RoundTripsInEachVersion) {
  for (auto v : all_versions) {
    execute_message m;
    m.id = b("00112233445566778899aabbccddeeff");
    if (v == protocol_version::v5) {
      m.result_metadata_id = b("0102");
    }
    m.params = full_query(v).params;
    m.params.names_for_values = false;
    m.params.names.clear();
    const auto body = encode_execute(m, v);
    EXPECT_EQ(decode_execute(body, v).value(), m) << int(v);
    expect_every_truncation_fails(body, v, decode_execute);
  }
}

// ---- BATCH ----------------------------------------------------------------------------------

const char* const batch_v4_hex = R"(
  01                                # unlogged
  0002                              # 2 children
  00 00000008 5550444154452074      #   query "UPDATE t"
     0001 00000001 01               #   1 value
  01 0002 beef                      #   prepared id beef
     0002 00000000 ffffffff         #   2 values: empty, null
  0004                              # QUORUM
  30                                # serial | timestamp
  0008                              # serial SERIAL
  0000000000000010                  # timestamp 16
)";

TEST(BatchMessage, DecodesAV4VectorWithMixedChildren) {
  auto m = decode_batch(b(batch_v4_hex), protocol_version::v4).value();
  EXPECT_EQ(m.type, batch_type::unlogged);
  ASSERT_EQ(m.children.size(), 2u);
  EXPECT_EQ(m.children[0].kind, batch_child_kind::query);
  EXPECT_EQ(m.children[0].query, "UPDATE t");
  EXPECT_EQ(m.children[0].values, std::vector<value>{value::of(b("01"))});
  EXPECT_EQ(m.children[1].kind, batch_child_kind::prepared);
  EXPECT_EQ(m.children[1].id, b("beef"));
  EXPECT_EQ(m.children[1].values, (std::vector<value>{value::of({}), value::null()}));
  EXPECT_EQ(m.consistency_level, consistency::quorum);
  EXPECT_EQ(m.serial_consistency, consistency::serial);
  EXPECT_EQ(m.default_timestamp, 16);
  EXPECT_EQ(to_hex(encode_batch(m, protocol_version::v4)), to_hex(b(batch_v4_hex)));
}

const char* const batch_v5_hex = R"(
  02                                # counter
  0001                              # 1 child
  01 0001 aa 0000                   #   prepared id aa, no values
  0001                              # ONE
  000001b0                          # serial | timestamp | keyspace | now_in_seconds
  0009                              # serial LOCAL_SERIAL
  00060a24181e4000                  # timestamp 1700000000000000
  0002 6b73                         # keyspace "ks"
  6553f100                          # now_in_seconds
)";

TEST(BatchMessage, DecodesAV5VectorWithKeyspaceAndNow) {
  auto m = decode_batch(b(batch_v5_hex), protocol_version::v5).value();
  EXPECT_EQ(m.type, batch_type::counter);
  ASSERT_EQ(m.children.size(), 1u);
  EXPECT_EQ(m.children[0].kind, batch_child_kind::prepared);
  EXPECT_EQ(m.children[0].id, b("aa"));
  EXPECT_TRUE(m.children[0].values.empty());
  EXPECT_EQ(m.consistency_level, consistency::one);
  EXPECT_EQ(m.serial_consistency, consistency::local_serial);
  EXPECT_EQ(m.default_timestamp, 1700000000000000);
  EXPECT_EQ(m.keyspace, "ks");
  EXPECT_EQ(m.now_in_seconds, 1700000000);
  EXPECT_EQ(to_hex(encode_batch(m, protocol_version::v5)), to_hex(b(batch_v5_hex)));
}

TEST(BatchMessage, FailsOnEveryTruncation) {
  expect_every_truncation_fails(b(batch_v4_hex), protocol_version::v4, decode_batch);
  expect_every_truncation_fails(b(batch_v5_hex), protocol_version::v5, decode_batch);
}

TEST(BatchMessage, RejectsNamesForValuesAsTheSpecSaysTheyCannotWork) {
  EXPECT_EQ(decode_batch(b("00 0000 0001 40"), protocol_version::v4).error(), errc::bad_value);
  EXPECT_EQ(decode_batch(b("00 0000 0001 00000040"), protocol_version::v5).error(),
            errc::bad_value);
}

TEST(BatchMessage, RejectsTheFourRightmostFlagBits) {
  for (const char* flags : {"01", "02", "04", "08"}) {
    EXPECT_EQ(decode_batch(b(std::string("00 0000 0001 ") + flags), protocol_version::v4).error(),
              errc::bad_value);
  }
}

TEST(BatchMessage, RejectsKeyspaceFlagBeforeV5) {
  EXPECT_EQ(decode_batch(b("00 0000 0001 80 0002 6b73"), protocol_version::v4).error(),
            errc::bad_value);
}

TEST(BatchMessage, RejectsAnUnknownTypeOrChildKind) {
  EXPECT_EQ(decode_batch(b("03 0000 0001 00"), protocol_version::v4).error(), errc::bad_value);
  EXPECT_EQ(decode_batch(b("00 0001 02 0000 0000 0001 00"), protocol_version::v4).error(),
            errc::bad_value);
}

TEST(BatchMessage, RejectsAHostileChildCount) {
  EXPECT_EQ(decode_batch(b("00 ffff 01 0000 0000"), protocol_version::v4).error(),
            errc::truncated);
}

TEST(BatchMessage, RejectsUnsetValuesInV3Only) {
  const auto body = b("00 0001 01 0001 aa 0001 fffffffe 0001 00");
  EXPECT_EQ(decode_batch(body, protocol_version::v3).error(), errc::bad_value);
  EXPECT_TRUE(decode_batch(body, protocol_version::v4));
}

TEST(BatchMessage, RoundTripsInEachVersion) {
  for (auto v : all_versions) {
    batch_message m;
    m.type = batch_type::logged;
    m.children.push_back({batch_child_kind::query, "INSERT INTO t (k) VALUES (?)", {},
                          {value::of(b("0a"))}});
    m.children.push_back({batch_child_kind::prepared, "", b("0102030405"), {value::null()}});
    m.children.push_back({batch_child_kind::query, "DELETE FROM t WHERE k = 1", {}, {}});
    m.consistency_level = consistency::local_quorum;
    m.serial_consistency = consistency::local_serial;
    m.default_timestamp = -5;
    if (v == protocol_version::v5) {
      m.keyspace = "other";
      m.now_in_seconds = 1;
    }
    const auto body = encode_batch(m, v);
    EXPECT_EQ(decode_batch(body, v).value(), m) << int(v);
    expect_every_truncation_fails(body, v, decode_batch);
  }
}

// ---- PREPARE --------------------------------------------------------------------------------

TEST(PrepareMessage, DecodesTheV4BodyAsOnlyTheQuery) {
  const auto body = b("00000008 53454c454354206b");
  auto m = decode_prepare(body, protocol_version::v4).value();
  EXPECT_EQ(m.query, "SELECT k");
  EXPECT_FALSE(m.keyspace);
  EXPECT_EQ(encode_prepare(m, protocol_version::v4), body);
  EXPECT_EQ(decode_prepare(b("00000008 53454c454354206b 00000000"), protocol_version::v4).error(),
            errc::trailing_bytes);
}

TEST(PrepareMessage, DecodesTheV5FlagsAndKeyspace) {
  const auto body = b("00000008 53454c454354206b 00000001 0002 6b73");
  auto m = decode_prepare(body, protocol_version::v5).value();
  EXPECT_EQ(m.query, "SELECT k");
  EXPECT_EQ(m.keyspace, "ks");
  EXPECT_EQ(encode_prepare(m, protocol_version::v5), body);
  expect_every_truncation_fails(body, protocol_version::v5, decode_prepare);
  EXPECT_EQ(decode_prepare(b("00000001 78 00000002"), protocol_version::v5).error(),
            errc::bad_value);
}

TEST(PrepareMessage, RoundTripsInEachVersion) {
  for (auto v : all_versions) {
    prepare_message m{"SELECT * FROM t", std::nullopt};
    EXPECT_EQ(decode_prepare(encode_prepare(m, v), v).value(), m);
    if (v == protocol_version::v5) {
      m.keyspace = "ks";
      EXPECT_EQ(decode_prepare(encode_prepare(m, v), v).value(), m);
    }
  }
}

// ---- STARTUP, OPTIONS, REGISTER -------------------------------------------------------------

TEST(StartupMessage, DecodesAStringMapOfOptions) {
  // Keys in sorted order: string_map is ordered, so that is the order encode writes them in.
  const auto body = b("0002 000b 434f4d5052455353494f4e 0003 6c7a34"      // COMPRESSION lz4
                      "     000b 43514c5f56455253494f4e 0005 332e302e30");  // CQL_VERSION 3.0.0
  auto m = decode_startup(body, protocol_version::v4).value();
  EXPECT_EQ(m.options, (string_map{{"CQL_VERSION", "3.0.0"}, {"COMPRESSION", "lz4"}}));
  EXPECT_EQ(encode_startup(m, protocol_version::v4), body);
  expect_every_truncation_fails(body, protocol_version::v4, decode_startup);
  auto longer = body;
  longer.push_back(std::byte{0});
  EXPECT_EQ(decode_startup(longer, protocol_version::v4).error(), errc::trailing_bytes);
}

TEST(OptionsMessage, HasAnEmptyBody) {
  for (auto v : all_versions) {
    EXPECT_TRUE(encode_options({}, v).empty());
    EXPECT_TRUE(decode_options({}, v));
    EXPECT_EQ(decode_options(b("00"), v).error(), errc::trailing_bytes);
  }
}

TEST(RegisterMessage, DecodesAStringListOfEvents) {
  const auto body = b("0002 000f 544f504f4c4f47595f4348414e4745"  // TOPOLOGY_CHANGE
                      "     000d 534348454d415f4348414e4745");    // SCHEMA_CHANGE
  auto m = decode_register(body, protocol_version::v5).value();
  EXPECT_EQ(m.events, (string_list{"TOPOLOGY_CHANGE", "SCHEMA_CHANGE"}));
  EXPECT_EQ(encode_register(m, protocol_version::v5), body);
  expect_every_truncation_fails(body, protocol_version::v5, decode_register);
  EXPECT_EQ(decode_register(b("0000 00"), protocol_version::v4).error(), errc::trailing_bytes);
}

// ---- AUTH -----------------------------------------------------------------------------------

TEST(AuthResponseMessage, DecodesAPlainSaslToken) {
  const auto body = b("00000006 00 75 00 70 7777");  // \0u\0pww
  auto m = decode_auth_response(body, protocol_version::v4).value();
  EXPECT_EQ(m.token, b("007500707777"));
  EXPECT_EQ(encode_auth_response(m, protocol_version::v4), body);
  expect_every_truncation_fails(body, protocol_version::v4, decode_auth_response);
  EXPECT_EQ(decode_auth_response(b("00000000 00"), protocol_version::v4).error(),
            errc::trailing_bytes);
}

TEST(AuthResponseMessage, RoundTripsANullToken) {
  const auto body = b("ffffffff");
  auto m = decode_auth_response(body, protocol_version::v5).value();
  EXPECT_FALSE(m.token);
  EXPECT_EQ(encode_auth_response(m, protocol_version::v5), body);
}

TEST(AuthenticateMessage, DecodesTheAuthenticatorClassAndIgnoresTrailingBytes) {
  const auto body = b("0003 612e42 ff");  // "a.B" and one extra byte
  auto m = decode_authenticate(body, protocol_version::v4).value();
  EXPECT_EQ(m.authenticator, "a.B");
  EXPECT_EQ(encode_authenticate(m, protocol_version::v4), b("0003 612e42"));
  EXPECT_EQ(decode_authenticate(b("0003 612e"), protocol_version::v4).error(), errc::truncated);
}

TEST(AuthChallengeMessage, RoundTripsTokensAndNull) {
  for (auto v : all_versions) {
    for (auto token : {std::optional<bytes>{}, std::optional<bytes>{bytes{}},
                       std::optional<bytes>{b("0102")}}) {
      auth_challenge_message m{token};
      EXPECT_EQ(decode_auth_challenge(encode_auth_challenge(m, v), v).value(), m);
    }
  }
  EXPECT_EQ(decode_auth_challenge(b("00000002 01"), protocol_version::v4).error(),
            errc::truncated);
}

TEST(AuthSuccessMessage, RoundTripsTokensAndIgnoresTrailingBytes) {
  auto m = decode_auth_success(b("00000001 09 ffff"), protocol_version::v4).value();
  EXPECT_EQ(m.token, b("09"));
  EXPECT_EQ(encode_auth_success(m, protocol_version::v4), b("00000001 09"));
  EXPECT_EQ(decode_auth_success(b("000000"), protocol_version::v4).error(), errc::truncated);
}

}  // namespace
}  // namespace tandem::protocol
