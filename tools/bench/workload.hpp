// The load generator's workload (issue 7): a prepared INSERT of a small row and a prepared
// SELECT of one row by key, in a keyspace and table it can create. Pure: statement texts and
// ready-made EXECUTE bodies in which only the key changes from one request to the next, so
// sending a request costs a copy, not an encode.
#pragma once

#include "protocol/types.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tandem::bench {

struct table_name {
  std::string keyspace = "tandem_bench";
  std::string table = "kv";
};

// CREATE KEYSPACE / CREATE TABLE, both IF NOT EXISTS: k bigint PRIMARY KEY, v blob.
std::vector<std::string> schema_statements(const table_name& t);
std::string insert_statement(const table_name& t);  // INSERT ... (k, v) VALUES (?, ?)
std::string select_statement(const table_name& t);  // SELECT v ... WHERE k = ?

// An EXECUTE body (spec v4 §4.1.6, v5 §4.1.6) whose first bound value is an 8-byte bigint key
// that with_key() rewrites in place. Built once per prepared statement and connection.
class execute_template {
 public:
  // values: the key, then `extra_values` as given. skip_metadata for reads: the stub and
  // Cassandra then send rows without column specs (spec v4 §4.1.4 flag 0x02).
  execute_template(protocol::protocol_version v, protocol::bytes id,
                   std::optional<protocol::bytes> result_metadata_id, protocol::consistency cl,
                   bool skip_metadata, const std::vector<protocol::bytes>& extra_values);

  protocol::bytes_view with_key(std::int64_t key) noexcept;
  protocol::bytes_view body() const noexcept { return body_; }

 private:
  protocol::bytes body_;
  std::size_t key_offset_ = 0;
};

// SASL PLAIN (RFC 4616) as an AUTH_RESPONSE body: [bytes] "\0user\0password".
protocol::bytes plain_auth_response(const std::string& user, const std::string& password);

// A small fast generator (xorshift64*) for keys and the write/read choice; no locks, one per
// connection, seeded so that runs are repeatable.
class fast_random {
 public:
  explicit fast_random(std::uint64_t seed) noexcept : state_(seed == 0 ? 0x9E3779B97F4A7C15ull : seed) {}
  std::uint64_t next() noexcept {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1Dull;
  }
  // Uniform in [0, 1).
  double unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  std::uint64_t below(std::uint64_t n) noexcept { return n == 0 ? 0 : next() % n; }

 private:
  std::uint64_t state_;
};

}  // namespace tandem::bench
