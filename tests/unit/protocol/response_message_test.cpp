// Where a response's message starts (protocol/request_body.hpp): after the tracing id, the
// warnings and the custom payload its header's flags announce (spec v4 §2.2). A traced
// request's ERROR starts with its tracing id: read from the body's start, its code was the id's
// first four bytes, and an UNPREPARED through token-aware routing was never recognised.
#include "protocol/request_body.hpp"

#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"

#include <gtest/gtest.h>

namespace tandem::protocol {
namespace {

constexpr std::int32_t unprepared = 0x2500;

bytes unprepared_error(std::string_view id) {
  wire_writer w;
  w.write_int(unprepared);
  w.write_string("Prepared query with ID 0102 not found");
  bytes raw(id.size());
  for (std::size_t i = 0; i < id.size(); ++i) raw[i] = static_cast<std::byte>(id[i]);
  w.write_short_bytes(bytes_view(raw));
  return w.take();
}

frame_header error_header(std::uint8_t flags) {
  return frame_header{protocol_version::v4, true, flags, 3, opcode::error, 0};
}

std::int32_t code_of(const frame_header& h, const bytes& body) {
  wire_reader r(response_message(h, body));
  auto code = r.read_int();
  return code ? *code : -1;
}

TEST(ResponseMessage, IsTheWholeBodyWithoutFlags) {
  const auto body = unprepared_error("ab");
  EXPECT_EQ(response_message(error_header(0), body).size(), body.size());
  EXPECT_EQ(code_of(error_header(0), body), unprepared);
}

TEST(ResponseMessage, SkipsATracedErrorsTracingId) {
  wire_writer w;
  uuid id;
  id.fill(std::byte{0x7f});
  w.write_uuid(id);  // the tracing session's [uuid]
  bytes body = w.take();
  const auto message = unprepared_error("ab");
  body.insert(body.end(), message.begin(), message.end());
  const auto h = error_header(frame_flags::tracing);
  EXPECT_EQ(response_message(h, body).size(), message.size());
  EXPECT_EQ(code_of(h, body), unprepared);
  // Read from the body's start, the code is the id's first bytes: what the proxy did before.
  wire_reader from_start(body);
  EXPECT_NE(*from_start.read_int(), unprepared);
}

TEST(ResponseMessage, SkipsTracingIdAndWarningsTogether) {
  wire_writer w;
  uuid id;
  id.fill(std::byte{0x01});
  w.write_uuid(id);
  w.write_string_list({"Aggregation query used without partition key"});
  bytes body = w.take();
  const auto message = unprepared_error("xyz");
  body.insert(body.end(), message.begin(), message.end());
  const auto h = error_header(static_cast<std::uint8_t>(frame_flags::tracing | frame_flags::warning));
  EXPECT_EQ(code_of(h, body), unprepared);
}

TEST(ResponseMessage, IsTheWholeBodyWhenThePrefixCannotBeRead) {
  const bytes short_body(5, std::byte{0});  // a tracing flag but no room for the id
  EXPECT_EQ(response_message(error_header(frame_flags::tracing), short_body).size(), 5u);
}

}  // namespace
}  // namespace tandem::protocol
