// In-place request edits (protocol/request_edit.hpp). Each edit of an encoded body must give
// exactly the bytes of decode -> modify -> encode with the full codec, in v3, v4 and v5, over
// every combination of optional fields; and fail, with the decoder's error, where decoding fails.
#include "protocol/request_edit.hpp"

#include "protocol/messages/batch.hpp"
#include "protocol/messages/execute.hpp"
#include "protocol/messages/query.hpp"
#include "unit/test_hex.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace tandem::protocol {
namespace {

using test::from_hex;
using test::to_hex;

using test::all_versions;
constexpr std::int64_t pinned = 0x0102030405060708;

bytes b(std::string_view hex) { return from_hex(hex); }

// Every combination of the optional parts of <query_parameters> the version has.
std::vector<query_parameters> parameter_samples(protocol_version v) {
  std::vector<query_parameters> out;
  const unsigned combos = v == protocol_version::v5 ? 256 : 64;
  for (unsigned mask = 0; mask < combos; ++mask) {
    query_parameters p;
    p.consistency_level = consistency::local_quorum;
    if ((mask & 0x01) != 0) {
      p.values = {value::of(b("0000002a")), value::null(), value::of({})};
    }
    if ((mask & 0x02) != 0) {
      p.names_for_values = true;
      p.names.resize(p.values.size(), "n");
    }
    if ((mask & 0x04) != 0) {
      p.page_size = 5000;
      p.skip_metadata = true;
    }
    if ((mask & 0x08) != 0) {
      p.paging_state = b("00112233");
    }
    if ((mask & 0x10) != 0) {
      p.serial_consistency = consistency::local_serial;
    }
    if ((mask & 0x20) != 0) {
      p.default_timestamp = 99;
    }
    if ((mask & 0x40) != 0) {
      p.keyspace = "ks";
    }
    if ((mask & 0x80) != 0) {
      p.now_in_seconds = 12345;
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<execute_message> execute_samples(protocol_version v) {
  std::vector<execute_message> out;
  for (auto& p : parameter_samples(v)) {
    execute_message m{b("cafebabe"), std::nullopt, std::move(p)};
    if (v == protocol_version::v5) {
      m.result_metadata_id = b("0102");
    }
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<batch_message> batch_samples(protocol_version v) {
  std::vector<batch_message> out;
  for (const auto& p : parameter_samples(v)) {
    if (p.page_size || p.paging_state || p.names_for_values || !p.values.empty()) {
      continue;  // not BATCH fields
    }
    batch_message m;
    m.type = batch_type::unlogged;
    m.children.push_back({batch_child_kind::prepared, "", b("aa01"), {value::of(b("01"))}});
    m.children.push_back({batch_child_kind::query, "UPDATE t SET v = 1", {}, {}});
    m.children.push_back({batch_child_kind::prepared, "", b("bb02"), {value::null()}});
    m.consistency_level = p.consistency_level;
    m.serial_consistency = p.serial_consistency;
    m.default_timestamp = p.default_timestamp;
    m.keyspace = p.keyspace;
    m.now_in_seconds = p.now_in_seconds;
    out.push_back(std::move(m));
  }
  return out;
}

TEST(WithDefaultTimestamp, MatchesTheCodecForEveryQueryShape) {
  for (auto v : all_versions) {
    for (const auto& p : parameter_samples(v)) {
      query_message m{"INSERT INTO t (k) VALUES (?)", p};
      const auto body = encode_query(m, v);
      EXPECT_EQ(read_default_timestamp(opcode::query, v, body).value(), p.default_timestamp);
      m.params.default_timestamp = pinned;
      EXPECT_EQ(to_hex(with_default_timestamp(opcode::query, v, body, pinned).value()),
                to_hex(encode_query(m, v)));
    }
  }
}

TEST(WithDefaultTimestamp, MatchesTheCodecForEveryExecuteShape) {
  for (auto v : all_versions) {
    for (auto m : execute_samples(v)) {
      const auto body = encode_execute(m, v);
      EXPECT_EQ(read_default_timestamp(opcode::execute, v, body).value(),
                m.params.default_timestamp);
      m.params.default_timestamp = pinned;
      EXPECT_EQ(to_hex(with_default_timestamp(opcode::execute, v, body, pinned).value()),
                to_hex(encode_execute(m, v)));
    }
  }
}

TEST(WithDefaultTimestamp, MatchesTheCodecForEveryBatchShape) {
  for (auto v : all_versions) {
    for (auto m : batch_samples(v)) {
      const auto body = encode_batch(m, v);
      EXPECT_EQ(read_default_timestamp(opcode::batch, v, body).value(), m.default_timestamp);
      m.default_timestamp = pinned;
      EXPECT_EQ(to_hex(with_default_timestamp(opcode::batch, v, body, pinned).value()),
                to_hex(encode_batch(m, v)));
    }
  }
}

TEST(WithDefaultTimestamp, KeepsBytesTheCodecWouldNormalise) {
  // Flag 0x01 with a count of 0: the codec would drop both, the edit must keep them.
  const auto body = b("00000001 78 0001 01 0000");
  EXPECT_EQ(to_hex(with_default_timestamp(opcode::query, protocol_version::v4, body, 1).value()),
            to_hex(b("00000001 78 0001 21 0000 0000000000000001")));
}

TEST(WithDefaultTimestamp, InsertsBeforeTheV5KeyspaceAndNow) {
  const auto body = b("00000001 78 0001 00000190 0008 0002 6b73 00000005");
  EXPECT_EQ(to_hex(with_default_timestamp(opcode::query, protocol_version::v5, body, 2).value()),
            to_hex(b("00000001 78 0001 000001b0 0008 0000000000000002 0002 6b73 00000005")));
}

TEST(WithDefaultTimestamp, RejectsRequestsWithoutParameters) {
  const auto body = b("00000001 78");
  for (auto op : {opcode::prepare, opcode::startup, opcode::register_, opcode::options}) {
    EXPECT_EQ(with_default_timestamp(op, protocol_version::v4, body, 1).error(),
              errc::not_a_request_with_parameters);
    EXPECT_EQ(read_default_timestamp(op, protocol_version::v4, body).error(),
              errc::not_a_request_with_parameters);
  }
}

// The scan must fail exactly where the decoder fails, with the same error.
template <class Decode>
void expect_same_errors_as(opcode op, protocol_version v, const bytes& body, Decode decode) {
  for (std::size_t n = 0; n <= body.size() + 1; ++n) {
    bytes input(body.begin(),
                body.begin() + static_cast<std::ptrdiff_t>(std::min(n, body.size())));
    if (n > body.size()) {
      input.push_back(std::byte{0});
    }
    auto decoded = decode(input, v);
    auto edited = with_default_timestamp(op, v, input, 1);
    ASSERT_EQ(decoded.has_value(), edited.has_value()) << n;
    if (!decoded) {
      EXPECT_EQ(decoded.error(), edited.error()) << n;
    }
  }
}

TEST(LocateParameters, FailsWhereTheDecodersFailWithTheSameError) {
  for (auto v : all_versions) {
    expect_same_errors_as(opcode::query, v,
                          encode_query({"SELECT 1", parameter_samples(v).back()}, v),
                          decode_query);
    expect_same_errors_as(opcode::execute, v, encode_execute(execute_samples(v).back(), v),
                          decode_execute);
    expect_same_errors_as(opcode::batch, v, encode_batch(batch_samples(v).back(), v),
                          decode_batch);
  }
  const auto bad_flags = b("00000001 78 0001 80");
  EXPECT_EQ(locate_parameters(opcode::query, protocol_version::v4, bad_flags).error(),
            errc::bad_value);
  const auto v3_unset = b("0001 aa 0001 01 0001 fffffffe");
  EXPECT_EQ(locate_parameters(opcode::execute, protocol_version::v3, v3_unset).error(),
            errc::bad_value);
  const auto batch_names = b("00 0000 0001 40");
  EXPECT_EQ(locate_parameters(opcode::batch, protocol_version::v4, batch_names).error(),
            errc::bad_value);
}

TEST(LocateParameters, ReportsTheOffsetsOfAV4Query) {
  const auto body = b("00000001 78 0006 3d 0002 00000001 01 ffffffff 00000010"
                      " 00000001 ff 0009 0000000000000005");
  auto loc = locate_parameters(opcode::query, protocol_version::v4, body).value();
  EXPECT_EQ(loc.consistency, 5u);
  EXPECT_EQ(loc.flags, 7u);
  EXPECT_EQ(loc.flags_size, 1u);
  EXPECT_EQ(loc.flag_bits, 0x3du);
  EXPECT_EQ(loc.value_count, 8u);
  EXPECT_EQ(loc.values, 2);
  EXPECT_EQ(loc.values_end, 19u);
  EXPECT_EQ(loc.timestamp, 30u);
  EXPECT_EQ(loc.end, body.size());
}

TEST(WithPreparedId, MatchesTheCodecForEveryExecuteShape) {
  for (auto v : all_versions) {
    for (auto m : execute_samples(v)) {
      const auto body = encode_execute(m, v);
      m.id = b("00112233445566778899aabbccddeeff");
      EXPECT_EQ(to_hex(with_prepared_id(v, body, m.id).value()), to_hex(encode_execute(m, v)));
      if (v == protocol_version::v5) {
        m.result_metadata_id = b("abcdef");
        const bytes_view meta{*m.result_metadata_id};
        EXPECT_EQ(to_hex(with_prepared_id(v, body, m.id, meta).value()),
                  to_hex(encode_execute(m, v)));
      }
    }
  }
}

TEST(WithPreparedId, BeginsWithThePrefixItIsGiven) {
  // The frame body before the message (a traced request's custom payload, say) comes first,
  // so the proxy builds a cluster's body in one buffer.
  const auto prefix = b("0001 0003 6b6579 00000002 beef");
  for (auto v : all_versions) {
    for (auto m : execute_samples(v)) {
      const auto body = encode_execute(m, v);
      m.id = b("00112233445566778899aabbccddeeff");
      const auto got = with_prepared_id(v, body, m.id, std::nullopt, prefix).value();
      EXPECT_EQ(to_hex(got), to_hex(prefix) + to_hex(encode_execute(m, v)));
    }
  }
}

TEST(BoundValueAt, ReadsEachValueAsTheDecoderDoes) {
  int checked = 0;
  for (auto v : all_versions) {
    for (const auto& m : execute_samples(v)) {
      const auto body = encode_execute(m, v);
      const auto loc = locate_parameters(opcode::execute, v, body).value();
      if (m.params.names_for_values) {
        EXPECT_EQ(bound_value_at(body, loc, v, 0).error(), errc::bad_value);  // not routed
        continue;
      }
      for (std::size_t i = 0; i < m.params.values.size(); ++i) {
        const auto got = bound_value_at(body, loc, v, i).value();
        EXPECT_EQ(got.state, m.params.values[i].state);
        EXPECT_EQ(to_hex(bytes(got.data.begin(), got.data.end())),
                  to_hex(m.params.values[i].data));
        ++checked;
      }
      EXPECT_EQ(bound_value_at(body, loc, v, m.params.values.size()).error(), errc::bad_value);
    }
  }
  EXPECT_GT(checked, 0);
}

TEST(WithPreparedId, RejectsAResultMetadataIdBeforeV5AndOversizedIds) {
  const auto body = b("0001 aa 0001 00");
  const auto meta = b("01");
  EXPECT_EQ(with_prepared_id(protocol_version::v4, body, meta, bytes_view{meta}).error(),
            errc::bad_value);
  const bytes huge(70000, std::byte{1});
  EXPECT_EQ(with_prepared_id(protocol_version::v4, body, huge).error(), errc::bad_value);
  EXPECT_EQ(with_prepared_id(protocol_version::v4, b("0001"), meta).error(), errc::truncated);
}

TEST(BatchPreparedIds, ListsThePreparedChildrenInOrder) {
  for (auto v : all_versions) {
    const auto body = encode_batch(batch_samples(v).front(), v);
    auto ids = batch_prepared_ids(v, body).value();
    ASSERT_EQ(ids.size(), 2u);
    EXPECT_EQ(to_hex(ids[0]), to_hex(b("aa01")));
    EXPECT_EQ(to_hex(ids[1]), to_hex(b("bb02")));
  }
}

TEST(WithBatchPreparedIds, MatchesTheCodecAndKeepsUnmappedIds) {
  for (auto v : all_versions) {
    for (auto m : batch_samples(v)) {
      const auto body = encode_batch(m, v);
      auto map = [](bytes_view old) -> std::optional<bytes> {
        if (to_hex(old) == to_hex(b("aa01"))) {
          return b("0102030405060708");
        }
        return std::nullopt;
      };
      m.children[0].id = b("0102030405060708");
      EXPECT_EQ(to_hex(with_batch_prepared_ids(v, body, map).value()),
                to_hex(encode_batch(m, v)));
    }
  }
}

TEST(WithBatchPreparedIds, FailsOnAMalformedBatch) {
  auto map = [](bytes_view) -> std::optional<bytes> { return bytes{}; };
  EXPECT_EQ(with_batch_prepared_ids(protocol_version::v4, b("00 0001 01 0002 aa"), map).error(),
            errc::truncated);
}

TEST(WithAppendedValue, MatchesTheCodecForEveryQueryAndExecuteShape) {
  const auto extra = b("00000000deadbeef");
  for (auto v : all_versions) {
    for (auto m : execute_samples(v)) {
      const auto body = encode_execute(m, v);
      std::optional<std::string_view> name;
      if (m.params.names_for_values) {
        name = "now";
        m.params.names.push_back("now");
      }
      m.params.values.push_back(value::of(extra));
      EXPECT_EQ(to_hex(with_appended_value(opcode::execute, v, body, extra, name).value()),
                to_hex(encode_execute(m, v)));
      query_message q{"SELECT 1", m.params};
      q.params.values.pop_back();
      if (name) {
        q.params.names.pop_back();
      }
      const auto qbody = encode_query(q, v);
      EXPECT_EQ(to_hex(with_appended_value(opcode::query, v, qbody, extra, name).value()),
                to_hex(encode_query({"SELECT 1", m.params}, v)));
    }
  }
}

TEST(WithAppendedValue, RejectsANameMismatchAFullCountAndBatches) {
  const auto positional = b("0001 aa 0001 01 0001 00000000");
  const auto named = b("0001 aa 0001 41 0001 0001 6b 00000000");
  const auto v = protocol_version::v4;
  EXPECT_EQ(with_appended_value(opcode::execute, v, positional, {}, "x").error(), errc::bad_value);
  EXPECT_EQ(with_appended_value(opcode::execute, v, named, {}).error(), errc::bad_value);
  EXPECT_TRUE(with_appended_value(opcode::execute, v, named, {}, "x"));
  EXPECT_EQ(with_appended_value(opcode::batch, v, b("00 0000 0001 00"), {}).error(),
            errc::not_a_request_with_parameters);

  bytes full = b("0001 aa 0001 01 ffff");
  for (int i = 0; i < 0xffff; ++i) {
    for (auto byte : b("ffffffff")) {
      full.push_back(byte);
    }
  }
  EXPECT_EQ(with_appended_value(opcode::execute, v, full, {}).error(), errc::bad_value);
}

}  // namespace
}  // namespace tandem::protocol
