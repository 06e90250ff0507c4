// Fuzz target: the request codecs and the in-place request edits. The first byte picks the
// opcode (QUERY, EXECUTE, BATCH, PREPARE, STARTUP, REGISTER, AUTH_RESPONSE) and the version
// (3, 4, 5); the rest is the body. A body that decodes must re-encode and decode to the same
// message; for QUERY/EXECUTE/BATCH every edit must succeed exactly when decoding does (with the
// decoder's error otherwise) and must decode to the message with that one change made.
#include "protocol/messages/auth.hpp"
#include "protocol/messages/batch.hpp"
#include "protocol/messages/execute.hpp"
#include "protocol/messages/prepare.hpp"
#include "protocol/messages/query.hpp"
#include "protocol/messages/register.hpp"
#include "protocol/messages/startup.hpp"
#include "protocol/request_edit.hpp"

#include <cstdlib>

using namespace tandem::protocol;

namespace {

constexpr std::int64_t pinned = 0x1122334455667788;

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

template <class Decode, class Encode>
void round_trip(bytes_view body, protocol_version v, Decode decode, Encode encode) {
  auto first = decode(body, v);
  if (!first) {
    return;
  }
  auto second = decode(encode(*first, v), v);
  check(second && *second == *first);
}

// An edit of a body that does not decode must fail with the decoder's error.
template <class T, class U>
void check_same_outcome(const result<T>& decoded, const result<U>& edited) {
  check(decoded.has_value() == edited.has_value());
  if (!decoded) {
    check(decoded.error() == edited.error());
  }
}

template <class Params>
Params with_extra_value(Params p, bytes_view extra) {
  p.values.push_back(value::of(bytes(extra.begin(), extra.end())));
  if (p.names_for_values) {
    p.names.emplace_back("now");
  }
  return p;
}

std::optional<std::string_view> name_for(const query_parameters& p) {
  return p.names_for_values ? std::optional<std::string_view>{"now"} : std::nullopt;
}

const bytes extra_value{std::byte{1}, std::byte{2}, std::byte{3}};

void fuzz_query(bytes_view body, protocol_version v) {
  round_trip(body, v, decode_query, encode_query);
  auto m = decode_query(body, v);
  auto stamped = with_default_timestamp(opcode::query, v, body, pinned);
  check_same_outcome(m, stamped);
  check_same_outcome(m, read_default_timestamp(opcode::query, v, body));
  auto appended = with_appended_value(opcode::query, v, body, extra_value, std::nullopt);
  if (!m) {
    check(!appended);
    return;
  }
  auto expected = *m;
  expected.params.default_timestamp = pinned;
  auto again = decode_query(*stamped, v);
  check(again && *again == expected);
  check(read_default_timestamp(opcode::query, v, *stamped).value() == pinned);
  check(read_default_timestamp(opcode::query, v, body).value() == m->params.default_timestamp);
  if (m->params.values.size() < 0xFFFF) {
    auto added = with_appended_value(opcode::query, v, body, extra_value, name_for(m->params));
    auto decoded = decode_query(added.value(), v);
    check(decoded && decoded->params == with_extra_value(m->params, extra_value));
  }
}

void fuzz_execute(bytes_view body, protocol_version v) {
  round_trip(body, v, decode_execute, encode_execute);
  auto m = decode_execute(body, v);
  auto stamped = with_default_timestamp(opcode::execute, v, body, pinned);
  check_same_outcome(m, stamped);
  const bytes new_id{std::byte{0xAB}, std::byte{0xCD}};
  check_same_outcome(m, with_prepared_id(v, body, new_id));
  if (!m) {
    check(!with_appended_value(opcode::execute, v, body, extra_value, std::nullopt));
    return;
  }
  auto expected = *m;
  expected.params.default_timestamp = pinned;
  auto again = decode_execute(*stamped, v);
  check(again && *again == expected);
  expected = *m;
  expected.id = new_id;
  again = decode_execute(with_prepared_id(v, body, new_id).value(), v);
  check(again && *again == expected);
  if (m->params.values.size() < 0xFFFF) {
    auto added = with_appended_value(opcode::execute, v, body, extra_value, name_for(m->params));
    auto decoded = decode_execute(added.value(), v);
    check(decoded && decoded->params == with_extra_value(m->params, extra_value));
  }
}

void fuzz_batch(bytes_view body, protocol_version v) {
  round_trip(body, v, decode_batch, encode_batch);
  auto m = decode_batch(body, v);
  auto stamped = with_default_timestamp(opcode::batch, v, body, pinned);
  check_same_outcome(m, stamped);
  auto ids = batch_prepared_ids(v, body);
  check_same_outcome(m, ids);
  // Maps every id to its reverse.
  auto reverse = [](bytes_view old) -> std::optional<bytes> {
    return bytes(old.rbegin(), old.rend());
  };
  auto renamed = with_batch_prepared_ids(v, body, reverse);
  check_same_outcome(m, renamed);
  if (!m) {
    return;
  }
  auto expected = *m;
  expected.default_timestamp = pinned;
  auto again = decode_batch(*stamped, v);
  check(again && *again == expected);
  expected = *m;
  std::size_t n = 0;
  for (auto& c : expected.children) {
    if (c.kind == batch_child_kind::prepared) {
      check(n < ids->size() && bytes(ids->at(n).begin(), ids->at(n).end()) == c.id);
      ++n;
      c.id = bytes(c.id.rbegin(), c.id.rend());
    }
  }
  check(n == ids->size());
  again = decode_batch(*renamed, v);
  check(again && *again == expected);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const auto v = static_cast<protocol_version>(3 + (data[0] / 7) % 3);
  const bytes_view body(reinterpret_cast<const std::byte*>(data + 1), size - 1);
  switch (data[0] % 7) {
    case 0: fuzz_query(body, v); break;
    case 1: fuzz_execute(body, v); break;
    case 2: fuzz_batch(body, v); break;
    case 3: round_trip(body, v, decode_prepare, encode_prepare); break;
    case 4: round_trip(body, v, decode_startup, encode_startup); break;
    case 5: round_trip(body, v, decode_register, encode_register); break;
    default: round_trip(body, v, decode_auth_response, encode_auth_response); break;
  }
  return 0;
}
