#include "tools/bench/workload.hpp"

#include "protocol/messages/execute.hpp"
#include "protocol/wire_writer.hpp"

#include <cassert>

namespace tandem::bench {
namespace {

// A key no real run uses, so with_key's offset can be checked against the encoded template.
constexpr std::uint64_t placeholder_key = 0x7A6E646D6B657921ull;

void put_be64(std::byte* out, std::uint64_t v) noexcept {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<std::byte>(v & 0xFF);
    v >>= 8;
  }
}

}  // namespace

std::vector<std::string> schema_statements(const table_name& t) {
  return {"CREATE KEYSPACE IF NOT EXISTS " + t.keyspace +
              " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
          "CREATE TABLE IF NOT EXISTS " + t.keyspace + "." + t.table +
              " (k bigint PRIMARY KEY, v blob)"};
}

std::string insert_statement(const table_name& t) {
  return "INSERT INTO " + t.keyspace + "." + t.table + " (k, v) VALUES (?, ?)";
}

std::string select_statement(const table_name& t) {
  return "SELECT v FROM " + t.keyspace + "." + t.table + " WHERE k = ?";
}

execute_template::execute_template(protocol::protocol_version v, protocol::bytes id,
                                   std::optional<protocol::bytes> result_metadata_id,
                                   protocol::consistency cl, bool skip_metadata,
                                   const std::vector<protocol::bytes>& extra_values) {
  protocol::execute_message m;
  m.id = std::move(id);
  if (v == protocol::protocol_version::v5) {
    m.result_metadata_id = result_metadata_id.value_or(protocol::bytes{});
  }
  m.params.consistency_level = cl;
  m.params.skip_metadata = skip_metadata;
  protocol::bytes key(8);
  put_be64(key.data(), placeholder_key);
  m.params.values.push_back(protocol::value::of(key));
  std::size_t after_key = 0;
  for (const auto& extra : extra_values) {
    m.params.values.push_back(protocol::value::of(extra));
    after_key += 4 + extra.size();
  }
  body_ = protocol::encode_execute(m, v);
  // The values are the last field written: no page size, paging state, serial consistency,
  // timestamp or keyspace is set (spec v4 §4.1.4 order), so the key ends `after_key` bytes
  // before the end.
  key_offset_ = body_.size() - after_key - 8;
  protocol::bytes expected(8);
  put_be64(expected.data(), placeholder_key);
  assert(std::equal(expected.begin(), expected.end(),
                    body_.begin() + static_cast<std::ptrdiff_t>(key_offset_)));
}

protocol::bytes_view execute_template::with_key(std::int64_t key) noexcept {
  put_be64(body_.data() + key_offset_, static_cast<std::uint64_t>(key));
  return body_;
}

protocol::bytes plain_auth_response(const std::string& user, const std::string& password) {
  protocol::bytes token{std::byte{0}};
  for (char c : user) {
    token.push_back(static_cast<std::byte>(c));
  }
  token.push_back(std::byte{0});
  for (char c : password) {
    token.push_back(static_cast<std::byte>(c));
  }
  protocol::wire_writer w;
  w.write_bytes(protocol::bytes_view(token));
  return w.take();
}

}  // namespace tandem::bench
