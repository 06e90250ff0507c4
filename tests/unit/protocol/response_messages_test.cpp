// The response codecs: ERROR, READY, SUPPORTED (spec v4 §4.2.1-4.2.4, §9; spec v5 §8), RESULT
// (spec v4 §4.2.5, spec v5 §4.2.5) and EVENT (spec v4 §4.2.6). Vectors are written by hand from
// the spec. Responses ignore bytes after their content (spec v4 §4.2); tests below pin that.
#include "protocol/messages/error_message.hpp"
#include "protocol/messages/event.hpp"
#include "protocol/messages/result.hpp"
#include "protocol/messages/supported.hpp"
#include "unit/test_hex.hpp"

#include <gtest/gtest.h>

namespace tandem::protocol {
namespace {

using test::from_hex;
using test::to_hex;

using test::all_versions;

// Every strict prefix of a body whose content fills it must fail to decode, never crash.
template <class Decode>
void expect_every_prefix_fails(const bytes& in, Decode decode) {
  for (std::size_t n = 0; n < in.size(); ++n) {
    EXPECT_FALSE(decode(bytes_view(in).first(n)).has_value()) << "prefix of " << n << " bytes";
  }
}

inet ipv4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::int32_t port) {
  inet out;
  out.address = {a, b, c, d};
  out.address_size = 4;
  out.port = port;
  return out;
}

inet ipv6_loopback(std::int32_t port) {
  inet out;
  out.address[15] = 1;
  out.address_size = 16;
  out.port = port;
  return out;
}

// ---- READY and SUPPORTED ----

TEST(ReadyMessage, HasAnEmptyBodyAndIgnoresExtraBytes) {
  EXPECT_TRUE(encode_ready(ready_message{}, protocol_version::v4).empty());
  EXPECT_TRUE(decode_ready({}, protocol_version::v4).has_value());
  EXPECT_TRUE(decode_ready(from_hex("00"), protocol_version::v4).has_value());
}

constexpr const char* supported_body =
    "0002"
    "000b 434f4d5052455353494f4e  0002 0006 736e61707079 0003 6c7a34"  // COMPRESSION: snappy, lz4
    "000b 43514c5f56455253494f4e  0001 0005 332e342e35";               // CQL_VERSION: 3.4.5

TEST(SupportedMessage, DecodesTheStringMultimapOfTheSpec) {
  const auto m = decode_supported(from_hex(supported_body), protocol_version::v4).value();
  ASSERT_EQ(m.options.size(), 2u);
  EXPECT_EQ(m.options.at("COMPRESSION"), (string_list{"snappy", "lz4"}));
  EXPECT_EQ(m.options.at("CQL_VERSION"), (string_list{"3.4.5"}));
  EXPECT_EQ(to_hex(encode_supported(m, protocol_version::v4)), to_hex(from_hex(supported_body)));
}

TEST(SupportedMessage, FailsOnEveryTruncation) {
  expect_every_prefix_fails(from_hex(supported_body), [](bytes_view b) {
    return decode_supported(b, protocol_version::v5);
  });
}

// ---- ERROR ----

struct error_vector {
  const char* name;
  protocol_version version;
  const char* hex;
  error_message expected;
};

const std::vector<error_vector>& error_vectors() {
  static const std::vector<error_vector> vectors = {
      {"syntax error", protocol_version::v4, "00002000 0003 626164",
       {error_code::syntax_error, "bad", {}}},
      {"unavailable", protocol_version::v4, "00001000 0000 0004 00000003 00000001",
       {error_code::unavailable, "", unavailable_error{consistency::quorum, 3, 1}}},
      {"unprepared", protocol_version::v4, "00002500 0000 0004 deadbeef",
       {error_code::unprepared, "", unprepared_error{from_hex("deadbeef")}}},
      {"write timeout SIMPLE", protocol_version::v4,
       "00001100 0000 0001 00000000 00000001 0006 53494d504c45",
       {error_code::write_timeout, "", write_timeout_error{consistency::one, 0, 1, "SIMPLE", {}}}},
      {"write timeout CAS v5 has contentions", protocol_version::v5,
       "00001100 0000 0009 00000000 00000001 0003 434153 0002",
       {error_code::write_timeout, "",
        write_timeout_error{consistency::local_serial, 0, 1, "CAS", 2}}},
      {"read timeout", protocol_version::v3, "00001200 0000 0004 00000001 00000002 01",
       {error_code::read_timeout, "", read_timeout_error{consistency::quorum, 1, 2, true}}},
      {"read failure v4 counts failures", protocol_version::v4,
       "00001300 0000 0001 00000000 00000001 00000002 00",
       {error_code::read_failure, "",
        read_failure_error{{consistency::one, 0, 1, 2, {}}, false}}},
      {"read failure v5 maps reasons", protocol_version::v5,
       "00001300 0000 0006 00000001 00000002"
       "00000002 04 7f000001 0000  10 00000000000000000000000000000001 0001"
       "01",
       {error_code::read_failure, "",
        read_failure_error{{consistency::local_quorum, 1, 2, 2,
                            {{ipv4(127, 0, 0, 1, 0), 0}, {ipv6_loopback(0), 1}}},
                           true}}},
      {"write failure v4", protocol_version::v4,
       "00001500 0000 0004 00000001 00000002 00000001 0005 4241544348",
       {error_code::write_failure, "",
        write_failure_error{{consistency::quorum, 1, 2, 1, {}}, "BATCH"}}},
      {"write failure v5", protocol_version::v5,
       "00001500 0000 0004 00000001 00000002 00000001 04 0a000002 0003 0006 53494d504c45",
       {error_code::write_failure, "",
        write_failure_error{{consistency::quorum, 1, 2, 1, {{ipv4(10, 0, 0, 2, 0), 3}}},
                            "SIMPLE"}}},
      {"function failure", protocol_version::v4,
       "00001400 0000 0002 6b73 0001 66 0002 0003 696e74 0004 74657874",
       {error_code::function_failure, "", function_failure_error{"ks", "f", {"int", "text"}}}},
      {"already exists (keyspace)", protocol_version::v4, "00002400 0000 0002 6b73 0000",
       {error_code::already_exists, "", already_exists_error{"ks", ""}}},
      {"CAS write unknown", protocol_version::v5, "00001700 0000 0008 00000001 00000002",
       {error_code::cas_write_unknown, "",
        cas_write_unknown_error{consistency::serial, 1, 2}}},
  };
  return vectors;
}

TEST(ErrorMessage, DecodesEveryCodeWithAnExtraBodyFromHandWrittenVectors) {
  for (const auto& vec : error_vectors()) {
    const auto in = from_hex(vec.hex);
    const auto decoded = decode_error(in, vec.version);
    ASSERT_TRUE(decoded.has_value()) << vec.name << ": " << decoded.error().message();
    EXPECT_EQ(*decoded, vec.expected) << vec.name;
    EXPECT_EQ(to_hex(encode_error(vec.expected, vec.version)), to_hex(in)) << vec.name;
  }
}

TEST(ErrorMessage, FailsOnEveryTruncation) {
  for (const auto& vec : error_vectors()) {
    SCOPED_TRACE(vec.name);
    expect_every_prefix_fails(from_hex(vec.hex),
                              [&](bytes_view b) { return decode_error(b, vec.version); });
  }
}

TEST(ErrorMessage, DecodesCodesWithoutExtraBodyToMonostate) {
  for (auto code : {error_code::server_error, error_code::protocol_error,
                    error_code::authentication_error, error_code::overloaded,
                    error_code::is_bootstrapping, error_code::truncate_error,
                    error_code::cdc_write_failure, error_code::syntax_error,
                    error_code::unauthorized, error_code::invalid, error_code::config_error}) {
    const error_message m{code, "Unknown keyspace", {}};
    const auto body = encode_error(m, protocol_version::v4);
    EXPECT_EQ(body.size(), 4u + 2u + 16u) << error_code_name(code);
    EXPECT_EQ(decode_error(body, protocol_version::v4).value(), m) << error_code_name(code);
  }
}

TEST(ErrorMessage, KeepsCodeAndMessageOfAnUnknownCodeAndIgnoresTheRest) {
  const auto m = decode_error(from_hex("00007777 0001 78 cafe"), protocol_version::v5).value();
  EXPECT_EQ(static_cast<std::int32_t>(m.code), 0x7777);
  EXPECT_EQ(m.message, "x");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(m.details));
  EXPECT_STREQ(error_code_name(m.code), "Unknown");
  EXPECT_EQ(to_hex(encode_error(m, protocol_version::v5)), "000077770001" "78");
}

TEST(ErrorMessage, ReadsContentionsOnlyForCasWritesInV5) {
  const auto in = from_hex("00001100 0000 0009 00000000 00000001 0003 434153 0002");
  // v4 has no <contentions>: the short is extra data, ignored.
  const auto v4 = decode_error(in, protocol_version::v4).value();
  EXPECT_EQ(std::get<write_timeout_error>(v4.details).contentions, std::nullopt);
  EXPECT_EQ(encode_error(v4, protocol_version::v4).size(), in.size() - 2);
  // v5 with a non-CAS write type: no contentions written.
  error_message simple = v4;
  std::get<write_timeout_error>(simple.details).write_type = "SIMPLE";
  const auto v5 = decode_error(encode_error(simple, protocol_version::v5), protocol_version::v5);
  EXPECT_EQ(std::get<write_timeout_error>(v5.value().details).contentions, std::nullopt);
}

TEST(ErrorMessage, TranslatesFailureCountsBetweenV4AndV5) {
  const auto v5_body = from_hex(error_vectors()[7].hex);  // read failure v5, two reasons
  const auto m = decode_error(v5_body, protocol_version::v5).value();
  EXPECT_EQ(std::get<read_failure_error>(m.details).failures.num_failures, 2);
  // Written for a v4 peer the map becomes its size.
  EXPECT_EQ(to_hex(encode_error(m, protocol_version::v4)),
            "00001300" "0000" "0006" "00000001" "00000002" "00000002" "01");
}

TEST(ErrorMessage, RejectsHostileReasonMapCounts) {
  EXPECT_EQ(decode_error(from_hex("00001300 0000 0001 00000000 00000001 7fffffff 01"),
                         protocol_version::v5)
                .error(),
            errc::truncated);
  EXPECT_EQ(decode_error(from_hex("00001300 0000 0001 00000000 00000001 ffffffff 01"),
                         protocol_version::v5)
                .error(),
            errc::negative_length);
}

TEST(ErrorMessage, RejectsAnInvalidConsistencyAndInetSize) {
  EXPECT_EQ(decode_error(from_hex("00001000 0000 00ff 00000003 00000001"), protocol_version::v4)
                .error(),
            errc::bad_value);
  EXPECT_EQ(decode_error(from_hex("00001300 0000 0001 00000000 00000001 00000001 05 0102030405"
                                  "0000 01"),
                         protocol_version::v5)
                .error(),
            errc::bad_value);
}

// What survives a round trip through version v: fields the version does not carry are lost.
error_message as_seen_in(error_message m, protocol_version v) {
  const bool v5 = v == protocol_version::v5;
  if (auto* e = std::get_if<write_timeout_error>(&m.details); e != nullptr && !v5) {
    e->contentions.reset();
  }
  failure_counts* f = nullptr;
  if (auto* e = std::get_if<read_failure_error>(&m.details)) {
    f = &e->failures;
  } else if (auto* e = std::get_if<write_failure_error>(&m.details)) {
    f = &e->failures;
  }
  if (f != nullptr && v5) {
    f->num_failures = static_cast<std::int32_t>(f->reasons.size());
  } else if (f != nullptr) {
    f->reasons.clear();
  }
  return m;
}

TEST(ErrorMessage, RoundTripsEveryDetailInEveryVersion) {
  for (auto v : all_versions) {
    for (const auto& vec : error_vectors()) {
      const error_message expected = as_seen_in(vec.expected, v);
      EXPECT_EQ(decode_error(encode_error(vec.expected, v), v).value(), expected)
          << vec.name << " v" << static_cast<int>(v);
    }
  }
}

// ---- EVENT ----

TEST(EventMessage, DecodesATopologyChangeWithAnIpv4Node) {
  const auto in = from_hex(
      "000f 544f504f4c4f47595f4348414e4745"  // TOPOLOGY_CHANGE
      "0008 4e45575f4e4f4445"                // NEW_NODE
      "04 7f000002 00002352");               // 127.0.0.2:9042
  const auto e = decode_event(in, protocol_version::v4).value();
  EXPECT_EQ(e, (event_message{topology_change_event{"NEW_NODE", ipv4(127, 0, 0, 2, 9042)}}));
  EXPECT_EQ(to_hex(encode_event(e, protocol_version::v4)), to_hex(in));
  expect_every_prefix_fails(in, [](bytes_view b) { return decode_event(b, protocol_version::v4); });
}

TEST(EventMessage, DecodesAStatusChangeWithAnIpv6Node) {
  const auto in = from_hex(
      "000d 5354415455535f4348414e4745"           // STATUS_CHANGE
      "0004 444f574e"                             // DOWN
      "10 00000000000000000000000000000001 00002352");  // [::1]:9042
  const auto e = decode_event(in, protocol_version::v5).value();
  EXPECT_EQ(e, (event_message{status_change_event{"DOWN", ipv6_loopback(9042)}}));
  EXPECT_EQ(to_hex(encode_event(e, protocol_version::v5)), to_hex(in));
  expect_every_prefix_fails(in, [](bytes_view b) { return decode_event(b, protocol_version::v5); });
}

TEST(EventMessage, DecodesASchemaChangeWithTheBodyOfTheSchemaChangeResult) {
  const auto in = from_hex(
      "000d 534348454d415f4348414e4745"  // SCHEMA_CHANGE
      "0007 43524541544544 0005 5441424c45 0002 6b73 0001 74");  // CREATED TABLE ks t
  const auto e = decode_event(in, protocol_version::v3).value();
  const schema_change expected{"CREATED", schema_change_target::table, "ks", "t", {}};
  EXPECT_EQ(e, event_message{expected});
  EXPECT_EQ(to_hex(encode_event(e, protocol_version::v3)), to_hex(in));
  expect_every_prefix_fails(in, [](bytes_view b) { return decode_event(b, protocol_version::v3); });
}

TEST(EventMessage, RejectsAnUnknownEventType) {
  EXPECT_EQ(decode_event(from_hex("0002 5550"), protocol_version::v4).error(), errc::bad_value);
}

TEST(EventMessage, RoundTripsEachKindInEveryVersion) {
  const std::vector<event_message> events = {
      topology_change_event{"REMOVED_NODE", ipv6_loopback(9042)},
      status_change_event{"UP", ipv4(10, 1, 2, 3, 19042)},
      schema_change{"DROPPED", schema_change_target::keyspace, "ks", "", {}},
      schema_change{"UPDATED", schema_change_target::type, "ks", "addr", {}},
  };
  for (auto v : all_versions) {
    for (const auto& e : events) {
      EXPECT_EQ(decode_event(encode_event(e, v), v).value(), e) << static_cast<int>(v);
    }
  }
}

// ---- RESULT ----

data_type type_of(type_id id) { return data_type{id, {}, {}, {}, {}, {}}; }

column_spec column(std::string ks, std::string table, std::string name, type_id id) {
  return column_spec{std::move(ks), std::move(table), std::move(name), type_of(id)};
}

std::optional<bytes> cell(const char* hex) { return from_hex(hex); }

// Rows, v4, global table spec ks.t, two columns a int / b varchar, paging state abcd,
// two rows (1, 'hi') and (2, null).
constexpr const char* rows_global_hex =
    "00000002"                       // kind Rows
    "00000003 00000002"              // flags Global_tables_spec|Has_more_pages, 2 columns
    "00000002 abcd"                  // paging state
    "0002 6b73 0001 74"              // ks.t
    "0001 61 0009  0001 62 000d"     // a int, b varchar
    "00000002"                       // 2 rows
    "00000004 00000001  00000002 6869"
    "00000004 00000002  ffffffff";

// Rows, per-column table spec, a list<int> column, one row with an empty (not null) cell.
constexpr const char* rows_per_column_hex =
    "00000002 00000000 00000001 0002 6b73 0001 74 0001 61 0020 0009 00000001 00000000";

// Prepared, v4: id cafe, bind markers k int / v varchar of ks.t with pk index 0, and empty
// result metadata (No_metadata, 0 columns).
constexpr const char* prepared_v4_hex =
    "00000004 0002 cafe"
    "00000001 00000002 00000001 0000 0002 6b73 0001 74 0001 6b 0009 0001 76 000d"
    "00000004 00000000";

// Prepared, v5: adds result_metadata_id beef after the id; result metadata with one column.
constexpr const char* prepared_v5_hex =
    "00000004 0002 cafe 0002 beef"
    "00000001 00000002 00000001 0000 0002 6b73 0001 74 0001 6b 0009 0001 76 000d"
    "00000001 00000001 0002 6b73 0001 74 0001 76 000d";

struct result_vector {
  const char* name;
  protocol_version version;
  const char* hex;
};

const std::vector<result_vector>& result_vectors() {
  static const std::vector<result_vector> vectors = {
      {"void", protocol_version::v4, "00000001"},
      {"set keyspace", protocol_version::v3, "00000003 0002 6b73"},
      {"rows with global spec", protocol_version::v4, rows_global_hex},
      {"rows with per-column spec", protocol_version::v5, rows_per_column_hex},
      {"rows without metadata", protocol_version::v4,
       "00000002 00000004 00000002 00000001 00000000 ffffffff"},
      {"rows v5 metadata changed", protocol_version::v5,
       "00000002 00000009 00000001 0002 1234 0002 6b73 0001 74 0001 61 0009 00000000"},
      {"prepared v3", protocol_version::v3,
       "00000004 0002 cafe 00000001 00000001 0002 6b73 0001 74 0001 6b 0009 00000004 00000000"},
      {"prepared v4", protocol_version::v4, prepared_v4_hex},
      {"prepared v5", protocol_version::v5, prepared_v5_hex},
      {"schema change keyspace", protocol_version::v4,
       "00000005 0007 43524541544544 0008 4b45595350414345 0002 6b73"},
      {"schema change table v3", protocol_version::v3,
       "00000005 0007 55504441544544 0005 5441424c45 0002 6b73 0001 74"},
      {"schema change type", protocol_version::v4,
       "00000005 0007 44524f50504544 0004 54595045 0002 6b73 0004 61646472"},
      {"schema change function", protocol_version::v4,
       "00000005 0007 43524541544544 0008 46554e4354494f4e 0002 6b73 0001 66"
       "0002 0003 696e74 0004 74657874"},
      {"schema change aggregate", protocol_version::v5,
       "00000005 0007 44524f50504544 0009 414747524547415445 0002 6b73 0001 67 0001 0003 696e74"},
  };
  return vectors;
}

TEST(ResultMessage, ReEncodesEveryHandWrittenVectorByteForByte) {
  for (const auto& vec : result_vectors()) {
    const auto in = from_hex(vec.hex);
    const auto decoded = decode_result(in, vec.version);
    ASSERT_TRUE(decoded.has_value()) << vec.name << ": " << decoded.error().message();
    EXPECT_EQ(to_hex(encode_result(*decoded, vec.version)), to_hex(in)) << vec.name;
  }
}

TEST(ResultMessage, FailsOnEveryTruncation) {
  for (const auto& vec : result_vectors()) {
    SCOPED_TRACE(vec.name);
    expect_every_prefix_fails(from_hex(vec.hex),
                              [&](bytes_view b) { return decode_result(b, vec.version); });
  }
}

TEST(ResultMessage, DecodesRowsWithAGlobalTableSpecNullCellsAndAPagingState) {
  const auto m = decode_result(from_hex(rows_global_hex), protocol_version::v4).value();
  const auto& rows = std::get<rows_result>(m);
  EXPECT_EQ(rows.metadata.paging_state, from_hex("abcd"));
  EXPECT_EQ(rows.metadata.columns,
            (std::vector<column_spec>{column("ks", "t", "a", type_id::int_),
                                      column("ks", "t", "b", type_id::varchar)}));
  EXPECT_EQ(rows.rows, (std::vector<result_row>{{cell("00000001"), cell("6869")},
                                                {cell("00000002"), std::nullopt}}));
}

TEST(ResultMessage, TellsAnEmptyCellFromANullOne) {
  const auto m = decode_result(from_hex(rows_per_column_hex), protocol_version::v4).value();
  const auto& rows = std::get<rows_result>(m);
  EXPECT_EQ(rows.metadata.columns[0].type.id, type_id::list);
  ASSERT_EQ(rows.rows.size(), 1u);
  EXPECT_EQ(rows.rows[0][0], std::optional<bytes>(bytes{}));
}

TEST(ResultMessage, DecodesPreparedWithPkIndexesInV4AndAResultMetadataIdInV5) {
  const auto v4 = std::get<prepared_result>(
      decode_result(from_hex(prepared_v4_hex), protocol_version::v4).value());
  EXPECT_EQ(v4.id, from_hex("cafe"));
  EXPECT_TRUE(v4.result_metadata_id.empty());
  EXPECT_EQ(v4.metadata.pk_indexes, (std::vector<std::uint16_t>{0}));
  EXPECT_EQ(v4.metadata.columns[1], column("ks", "t", "v", type_id::varchar));
  EXPECT_TRUE(v4.result_metadata.has_no_metadata());

  const auto v5 = std::get<prepared_result>(
      decode_result(from_hex(prepared_v5_hex), protocol_version::v5).value());
  EXPECT_EQ(v5.result_metadata_id, from_hex("beef"));
  EXPECT_EQ(v5.metadata, v4.metadata);
  EXPECT_EQ(v5.result_metadata.columns,
            (std::vector<column_spec>{column("ks", "t", "v", type_id::varchar)}));
}

TEST(ResultMessage, DecodesSchemaChangeTargetsWithTheirOptions) {
  const auto function = decode_result(from_hex(result_vectors()[12].hex), protocol_version::v4);
  const schema_change created_function{"CREATED", schema_change_target::function, "ks", "f",
                                       {"int", "text"}};
  EXPECT_EQ(function.value(), result_message{created_function});
  const auto keyspace = decode_result(from_hex(result_vectors()[9].hex), protocol_version::v4);
  const schema_change created_keyspace{"CREATED", schema_change_target::keyspace, "ks", "", {}};
  EXPECT_EQ(keyspace.value(), result_message{created_keyspace});
}

TEST(ResultMessage, HasNoFunctionTargetsInV3) {
  const auto in = from_hex(result_vectors()[12].hex);
  EXPECT_EQ(decode_result(in, protocol_version::v3).error(), errc::bad_value);
  // Written for v3, a function change becomes what Cassandra tells v3 clients.
  const schema_change c{"CREATED", schema_change_target::function, "ks", "f", {"int"}};
  const schema_change updated_keyspace{"UPDATED", schema_change_target::keyspace, "ks", "", {}};
  EXPECT_EQ(decode_result(encode_result(c, protocol_version::v3), protocol_version::v3).value(),
            result_message{updated_keyspace});
}

TEST(ResultMessage, WritesTheGlobalSpecOnlyWhenAllColumnsShareATable) {
  rows_result rows;
  rows.metadata.flags = metadata_flags::global_tables_spec;
  rows.metadata.columns = {column("ks", "t", "a", type_id::int_),
                           column("ks", "u", "b", type_id::int_)};
  const auto body = encode_result(rows, protocol_version::v4);
  EXPECT_EQ(to_hex(body), to_hex(from_hex("00000002 00000000 00000002"
                                          "0002 6b73 0001 74 0001 61 0009"
                                          "0002 6b73 0001 75 0001 62 0009 00000000")));
  const auto back = std::get<rows_result>(decode_result(body, protocol_version::v4).value());
  EXPECT_EQ(back.metadata.columns, rows.metadata.columns);
}

TEST(ResultMessage, RejectsHostileCounts) {
  struct hostile {
    const char* hex;
    errc expected;
  };
  for (const auto& h : std::vector<hostile>{
           {"00000002 00000004 00000001 7fffffff 00000000", errc::truncated},  // 2^31 rows
           {"00000002 00000004 7fffffff 7fffffff", errc::truncated},  // 2^31 x 2^31 cells
           {"00000002 00000001 7fffffff 0002 6b73 0001 74", errc::truncated},  // 2^31 columns
           {"00000002 00000004 00000000 7fffffff", errc::bad_value},  // rows of no columns
           {"00000002 00000004 ffffffff 00000000", errc::negative_length},
           {"00000002 00000004 00000001 ffffffff", errc::negative_length},
           {"00000004 0000 00000000 00000000 7fffffff", errc::truncated},  // 2^31 pk indexes
           {"00000004 0000 00000000 00000000 80000000", errc::negative_length},
           {"00000006", errc::bad_value},  // unknown kind
           {"00000005 0007 43524541544544 0002 5550 0002 6b73", errc::bad_value},  // target "UP"
       }) {
    const auto r = decode_result(from_hex(h.hex), protocol_version::v4);
    ASSERT_FALSE(r.has_value()) << h.hex;
    EXPECT_EQ(r.error(), h.expected) << h.hex;
  }
}

TEST(ResultMessage, IgnoresBytesAfterTheContent) {
  // spec v4 §4.2: clients discard extra data at the end of a response.
  EXPECT_EQ(decode_result(from_hex("00000001 ffff"), protocol_version::v4).value(),
            result_message{void_result{}});
  EXPECT_EQ(decode_result(from_hex("00000003 0002 6b73 00"), protocol_version::v4).value(),
            result_message{set_keyspace_result{"ks"}});
}

TEST(ResultMessage, RoundTripsEveryKindInEveryVersion) {
  rows_result rows;
  rows.metadata.flags = metadata_flags::global_tables_spec;
  rows.metadata.column_count = 2;
  rows.metadata.paging_state = from_hex("0102");
  rows.metadata.columns = {column("ks", "t", "a", type_id::int_),
                           column("ks", "t", "b", type_id::blob)};
  rows.rows = {{cell("00000001"), std::nullopt}, {std::nullopt, cell("")}};
  prepared_result prepared;
  prepared.id = from_hex("0a0b");
  prepared.metadata.pk_indexes = {1, 0};
  prepared.metadata.columns = {column("ks", "t", "a", type_id::int_),
                               column("ks", "u", "b", type_id::blob)};
  prepared.result_metadata = rows.metadata;
  prepared.result_metadata.paging_state.reset();
  for (auto v : all_versions) {
    rows_result rows_v = rows;
    prepared_result prepared_v = prepared;
    if (v == protocol_version::v5) {
      rows_v.metadata.new_metadata_id = from_hex("77");
      rows_v.metadata.flags |= metadata_flags::metadata_changed;
      prepared_v.result_metadata_id = from_hex("99");
    }
    if (v == protocol_version::v3) {
      prepared_v.metadata.pk_indexes.clear();
    }
    rows_v.metadata.flags |= metadata_flags::has_more_pages;
    for (const result_message& m :
         {result_message{void_result{}}, result_message{set_keyspace_result{"ks"}},
          result_message{rows_v}, result_message{prepared_v},
          result_message{schema_change{"DROPPED", schema_change_target::table, "ks", "t", {}}}}) {
      EXPECT_EQ(decode_result(encode_result(m, v), v).value(), m)
          << "kind " << static_cast<int>(kind_of(m)) << " v" << static_cast<int>(v);
    }
  }
}

}  // namespace
}  // namespace tandem::protocol
