// Shadow-read comparison of two RESULT frames (shadow_compare.hpp).
#include "proxy/shadow_compare.hpp"

#include "protocol/messages/result.hpp"

#include "unit/test_hex.hpp"

#include <gtest/gtest.h>

namespace tandem::proxy {
namespace {

constexpr auto v4 = protocol::protocol_version::v4;

protocol::bytes cell(std::string_view s) { return test::text_bytes(s); }

protocol::owned_frame rows_frame(std::vector<std::vector<std::string>> rows) {
  protocol::rows_result r;
  r.metadata.columns = {{"ks", "t", "k", {}}, {"ks", "t", "v", {}}};
  for (auto& row : rows) {
    protocol::result_row out;
    for (auto& c : row) out.push_back(cell(c));
    r.rows.push_back(out);
  }
  // Types are needed to encode the metadata: both columns are text.
  for (auto& c : r.metadata.columns) c.type.id = protocol::type_id::varchar;
  protocol::result_message m = r;
  return protocol::owned_frame{{v4, true, 0, 1, protocol::opcode::result, 0},
                               protocol::encode_result(m, v4)};
}

TEST(ShadowCompare, SameRowsMatch) {
  auto a = rows_frame({{"k1", "x"}, {"k2", "y"}});
  auto v = compare_rows(a, rows_frame({{"k1", "x"}, {"k2", "y"}}), v4);
  EXPECT_TRUE(v.comparable);
  EXPECT_FALSE(v.mismatch);
}

TEST(ShadowCompare, NamesTheRowKeyAndColumnThatDiffer) {
  auto v = compare_rows(rows_frame({{"k1", "x"}, {"k2", "y"}}),
                        rows_frame({{"k1", "x"}, {"k2", "z"}}), v4);
  ASSERT_TRUE(v.mismatch);
  EXPECT_EQ(*v.mismatch, "row 1 (key 0x6b32) differs in column v");
}

TEST(ShadowCompare, CountsMissingRows) {
  auto v = compare_rows(rows_frame({{"k1", "x"}}), rows_frame({}), v4);
  ASSERT_TRUE(v.mismatch);
  EXPECT_EQ(*v.mismatch, "1 rows on the primary, 0 on the secondary");
}

TEST(ShadowCompare, AnErrorIsNotComparable) {
  protocol::owned_frame error{{v4, true, 0, 1, protocol::opcode::error, 0}, cell("\0\0\0\0")};
  EXPECT_FALSE(compare_rows(rows_frame({}), error, v4).comparable);
}

}  // namespace
}  // namespace tandem::proxy
