// The primitives of spec v4 §3 / v5 §3: each round-trips, and each read that would run past
// the end of its input fails with errc::truncated instead of reading out of bounds.
#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"
#include "unit/test_hex.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace tandem::protocol {
namespace {

using test::from_hex;
using test::to_hex;

TEST(WireReader, ReadsBigEndianIntegersAsTheSpecDefinesThem) {
  const auto in = from_hex("ff 0102 fffe 80000001 0102030405060708");
  wire_reader r(in);
  EXPECT_EQ(r.read_byte().value(), 0xFF);
  EXPECT_EQ(r.read_short().value(), 0x0102);
  EXPECT_EQ(r.read_signed_short().value(), -2);
  EXPECT_EQ(r.read_int().value(), std::numeric_limits<std::int32_t>::min() + 1);
  EXPECT_EQ(r.read_long().value(), 0x0102030405060708);
  EXPECT_TRUE(r.empty());
}

TEST(WireReader, ReadsStringsAndLongStrings) {
  const auto in = from_hex("0003 616263 00000002 6869");
  wire_reader r(in);
  EXPECT_EQ(r.read_string().value(), "abc");
  EXPECT_EQ(r.read_long_string().value(), "hi");
}

TEST(WireReader, RejectsAStringLongerThanItsInput) {
  const auto in = from_hex("0005 6162");
  wire_reader r(in);
  EXPECT_EQ(r.read_string().error(), errc::truncated);
}

TEST(WireReader, RejectsANegativeLongStringLength) {
  const auto in = from_hex("ffffffff");
  wire_reader r(in);
  EXPECT_EQ(r.read_long_string().error(), errc::negative_length);
}

TEST(WireReader, ReadsBytesWithNullAsNegativeLength) {
  const auto in = from_hex("ffffffff 00000001 2a ffffff80");
  wire_reader r(in);
  EXPECT_FALSE(r.read_bytes().value().has_value());
  EXPECT_EQ(to_hex(*r.read_bytes().value()), "2a");
  // spec §3 [bytes]: "If n < 0, no byte should follow and the value represented is null".
  EXPECT_FALSE(r.read_bytes().value().has_value());
}

TEST(WireReader, ReadsValueWithNullUnsetAndRejectsOtherNegatives) {
  const auto in = from_hex("ffffffff fffffffe 00000000 fffffffd");
  wire_reader r(in);
  EXPECT_EQ(r.read_value().value().state, value::kind::null);
  EXPECT_EQ(r.read_value().value().state, value::kind::unset);
  auto empty = r.read_value().value();
  EXPECT_EQ(empty.state, value::kind::set);
  EXPECT_TRUE(empty.data.empty());
  EXPECT_EQ(r.read_value().error(), errc::negative_length);
}

TEST(WireReader, RejectsAStringListWhoseCountExceedsItsBytes) {
  // A count of 65535 with nothing behind it must fail before reserving anything.
  const auto in = from_hex("ffff 0001 61");
  wire_reader r(in);
  EXPECT_EQ(r.read_string_list().error(), errc::truncated);
}

TEST(WireReader, ReadsInetOfBothFamilies) {
  const auto in = from_hex("04 7f000002 00002352 10 00000000000000000000000000000001 00000001");
  wire_reader r(in);
  auto v4 = r.read_inet().value();
  EXPECT_EQ(v4.address_size, 4);
  EXPECT_EQ(v4.address[3], 2);
  EXPECT_EQ(v4.port, 9042);
  auto v6 = r.read_inet().value();
  EXPECT_EQ(v6.address_size, 16);
  EXPECT_EQ(v6.address[15], 1);
}

TEST(WireReader, RejectsAnInetOfOtherSize) {
  const auto in = from_hex("05 0102030405 00000000");
  wire_reader r(in);
  EXPECT_EQ(r.read_inet().error(), errc::bad_value);
}

TEST(WireReader, RejectsAnUnknownConsistency) {
  const auto in = from_hex("0006 000b");
  wire_reader r(in);
  EXPECT_EQ(r.read_consistency().value(), consistency::local_quorum);
  EXPECT_EQ(r.read_consistency().error(), errc::bad_value);
}

TEST(WireReader, RejectsTypeNestingDeeperThanTheLimit) {
  bytes in;
  for (int i = 0; i < max_type_nesting + 2; ++i) {
    in.push_back(std::byte{0x00});
    in.push_back(std::byte{0x20});  // list<...>
  }
  in.push_back(std::byte{0x00});
  in.push_back(std::byte{0x09});
  wire_reader r(in);
  EXPECT_EQ(r.read_option().error(), errc::bad_value);
}

// spec v5 §3: [unsigned vint] byte counts at each boundary, as Cassandra's VIntCoding
// encodes them (values from its size table: 7, 14, 21, ... bits per length).
TEST(UnsignedVint, UsesTheSizesOfTheSpecAtEachBoundary) {
  struct row {
    std::uint64_t v;
    std::size_t size;
    const char* hex;
  };
  const row rows[] = {
      {0, 1, "00"},
      {1, 1, "01"},
      {127, 1, "7f"},
      {128, 2, "8080"},
      {16383, 2, "bfff"},
      {16384, 3, "c04000"},
      {std::numeric_limits<std::uint64_t>::max(), 9, "ffffffffffffffffff"},
  };
  for (const auto& r : rows) {
    wire_writer w;
    w.write_unsigned_vint(r.v);
    EXPECT_EQ(unsigned_vint_size(r.v), r.size) << r.v;
    EXPECT_EQ(to_hex(w.data()), r.hex) << r.v;
    wire_reader rd(w.data());
    EXPECT_EQ(rd.read_unsigned_vint().value(), r.v);
    EXPECT_TRUE(rd.empty());
  }
}

TEST(Vint, ZigZagsNegativeNumbers) {
  for (std::int64_t v : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{1}, std::int64_t{-64},
                         std::int64_t{63}, std::numeric_limits<std::int64_t>::min(),
                         std::numeric_limits<std::int64_t>::max()}) {
    wire_writer w;
    w.write_vint(v);
    wire_reader r(w.data());
    EXPECT_EQ(r.read_vint().value(), v);
  }
  wire_writer w;
  w.write_vint(-1);
  EXPECT_EQ(to_hex(w.data()), "01");
}

TEST(WireWriter, RoundTripsEveryCompositePrimitive) {
  data_type udt;
  udt.id = type_id::udt;
  udt.udt_keyspace = "ks";
  udt.udt_name = "address";
  udt.udt_field_names = {"street", "zip"};
  udt.params = {data_type{type_id::varchar, {}, {}, {}, {}, {}},
                data_type{type_id::int_, {}, {}, {}, {}, {}}};
  data_type map_type;
  map_type.id = type_id::map;
  map_type.params = {data_type{type_id::varchar, {}, {}, {}, {}, {}}, udt};
  data_type custom;
  custom.id = type_id::custom;
  custom.custom_class = "org.apache.cassandra.db.marshal.VectorType(FloatType,3)";

  const string_map sm{{"CQL_VERSION", "3.0.0"}, {"COMPRESSION", "lz4"}};
  const string_multimap smm{{"COMPRESSION", {"lz4", "snappy"}}, {"CQL_VERSION", {"3.4.7"}}};
  const bytes_map bm{{"k", bytes{std::byte{1}}}, {"n", std::nullopt}};
  const uuid u{std::byte{1}, std::byte{2}};
  inet addr;
  addr.address = {127, 0, 0, 3};
  addr.port = 9042;

  wire_writer w;
  w.write_option(map_type);
  w.write_option(custom);
  w.write_string_map(sm);
  w.write_string_multimap(smm);
  w.write_bytes_map(bm);
  w.write_uuid(u);
  w.write_inet(addr);
  w.write_short_bytes(bytes{std::byte{9}, std::byte{8}});
  w.write_consistency(consistency::each_quorum);

  wire_reader r(w.data());
  EXPECT_EQ(r.read_option().value(), map_type);
  EXPECT_EQ(r.read_option().value(), custom);
  EXPECT_EQ(r.read_string_map().value(), sm);
  EXPECT_EQ(r.read_string_multimap().value(), smm);
  EXPECT_EQ(r.read_bytes_map().value(), bm);
  EXPECT_EQ(r.read_uuid().value(), u);
  EXPECT_EQ(r.read_inet().value(), addr);
  EXPECT_EQ(to_hex(r.read_short_bytes().value()), "0908");
  EXPECT_EQ(r.read_consistency().value(), consistency::each_quorum);
  EXPECT_TRUE(r.empty());

  // Every strict prefix of the encoding fails cleanly somewhere: no read past the end.
  for (std::size_t n = 0; n < w.size(); ++n) {
    wire_reader p(bytes_view(w.data()).first(n));
    bool failed = !p.read_option() || !p.read_option() || !p.read_string_map() ||
                  !p.read_string_multimap() || !p.read_bytes_map() || !p.read_uuid() ||
                  !p.read_inet() || !p.read_short_bytes() || !p.read_consistency();
    EXPECT_TRUE(failed) << "prefix of " << n << " bytes decoded";
  }
}

}  // namespace
}  // namespace tandem::protocol
