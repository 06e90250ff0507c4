// ERROR (spec v4 §4.2.1 and §9, spec v5 §4.2.1 and §8): <code><message>[extra], where
// <code> is an [int], <message> a [string], and the extra body depends on the code.
//
// Version differences of the extra bodies:
// - Read_failure / Write_failure: v4 carries <numfailures> ([int]); v5 replaces it with a
//   <reasonmap> ([int] n, then n pairs <endpoint: [inetaddr]><failure code: [short]>).
// - Write_timeout: v5 adds <contentions> ([short]) when <writeType> is "CAS".
// - Read_failure, Function_failure and Write_failure exist from v4 on (spec v4 §10); a v3
//   server never sends them. CAS_write_unknown and CDC_write_failure are v5 codes. We decode
//   them whatever the version (v3 with the v4 layouts), so an unexpected code is still read.
//
// A response: decode_error ignores bytes after the content (spec v4 §4.2: clients should
// discard extra data at the end of a response). An unknown code keeps its code and message;
// whatever follows the message is ignored.
#pragma once

#include "protocol/error.hpp"
#include "protocol/types.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace tandem::protocol {

// Error codes of spec v4 §9 / spec v5 §8. The underlying type is the wire's [int], so a code
// this list does not name is still representable.
enum class error_code : std::int32_t {
  server_error = 0x0000,
  protocol_error = 0x000A,
  authentication_error = 0x0100,
  unavailable = 0x1000,
  overloaded = 0x1001,
  is_bootstrapping = 0x1002,
  truncate_error = 0x1003,
  write_timeout = 0x1100,
  read_timeout = 0x1200,
  read_failure = 0x1300,       // v4+
  function_failure = 0x1400,   // v4+
  write_failure = 0x1500,      // v4+
  cdc_write_failure = 0x1600,  // v5, no extra body
  cas_write_unknown = 0x1700,  // v5
  syntax_error = 0x2000,
  unauthorized = 0x2100,
  invalid = 0x2200,
  config_error = 0x2300,
  already_exists = 0x2400,
  unprepared = 0x2500,
};

// The spec's name of a code ("Unavailable", ...), or "Unknown" for a code it does not list.
const char* error_code_name(error_code c) noexcept;

// 0x1000 Unavailable: <cl><required><alive>.
struct unavailable_error {
  consistency cl = consistency::one;
  std::int32_t required = 0;
  std::int32_t alive = 0;

  friend bool operator==(const unavailable_error&, const unavailable_error&) = default;
};

// 0x1100 Write_timeout: <cl><received><blockfor><writeType>[<contentions>].
struct write_timeout_error {
  consistency cl = consistency::one;
  std::int32_t received = 0;
  std::int32_t block_for = 0;
  // "SIMPLE", "BATCH", "UNLOGGED_BATCH", "COUNTER", "BATCH_LOG", "CAS", "VIEW", "CDC".
  std::string write_type;
  // v5 and write_type == "CAS" only (spec v5 §8). Encoding v5 "CAS" with std::nullopt writes 0.
  std::optional<std::uint16_t> contentions;

  friend bool operator==(const write_timeout_error&, const write_timeout_error&) = default;
};

// 0x1200 Read_timeout: <cl><received><blockfor><data_present>.
struct read_timeout_error {
  consistency cl = consistency::one;
  std::int32_t received = 0;
  std::int32_t block_for = 0;
  bool data_present = false;  // a [byte]: 0 is false, anything else true

  friend bool operator==(const read_timeout_error&, const read_timeout_error&) = default;
};

// One entry of the v5 <reasonmap>: a replica and the code of its failure.
struct failure_reason {
  inet endpoint;  // an [inetaddr]: address only, port 0
  std::uint16_t code = 0;

  friend bool operator==(const failure_reason&, const failure_reason&) = default;
};

// The part Read_failure and Write_failure share: <cl><received><blockfor> and the failures.
// v3/v4 carry only num_failures; v5 carries the reason map. Decoding v5 sets num_failures to
// the map's size, so code reading num_failures works whatever the version. Encoding v3/v4
// writes num_failures; encoding v5 writes reasons (num_failures is then ignored).
struct failure_counts {
  consistency cl = consistency::one;
  std::int32_t received = 0;
  std::int32_t block_for = 0;
  std::int32_t num_failures = 0;
  std::vector<failure_reason> reasons;  // v5; wire order kept

  friend bool operator==(const failure_counts&, const failure_counts&) = default;
};

// 0x1300 Read_failure: <cl><received><blockfor><numfailures|reasonmap><data_present>.
struct read_failure_error {
  failure_counts failures;
  bool data_present = false;

  friend bool operator==(const read_failure_error&, const read_failure_error&) = default;
};

// 0x1500 Write_failure: <cl><received><blockfor><numfailures|reasonmap><writeType>.
struct write_failure_error {
  failure_counts failures;
  std::string write_type;

  friend bool operator==(const write_failure_error&, const write_failure_error&) = default;
};

// 0x1400 Function_failure: <keyspace><function><arg_types>.
struct function_failure_error {
  std::string keyspace;
  std::string function;
  string_list arg_types;

  friend bool operator==(const function_failure_error&, const function_failure_error&) = default;
};

// 0x2400 Already_exists: <ks><table>; table is empty when a keyspace already exists.
struct already_exists_error {
  std::string keyspace;
  std::string table;

  friend bool operator==(const already_exists_error&, const already_exists_error&) = default;
};

// 0x2500 Unprepared: the unknown prepared id, a [short bytes]. The proxy re-prepares on it.
struct unprepared_error {
  bytes id;

  friend bool operator==(const unprepared_error&, const unprepared_error&) = default;
};

// 0x1700 CAS_write_unknown (v5): <cl><received><blockfor>.
struct cas_write_unknown_error {
  consistency cl = consistency::one;
  std::int32_t received = 0;
  std::int32_t block_for = 0;

  friend bool operator==(const cas_write_unknown_error&, const cas_write_unknown_error&) = default;
};

// The extra body; std::monostate for codes without one (and for unknown codes).
using error_details =
    std::variant<std::monostate, unavailable_error, write_timeout_error, read_timeout_error,
                 read_failure_error, write_failure_error, function_failure_error,
                 already_exists_error, unprepared_error, cas_write_unknown_error>;

struct error_message {
  error_code code = error_code::server_error;
  std::string message;
  // Decoding picks the alternative from the code. Encoding writes the alternative held, so it
  // must match the code (an unavailable code with std::monostate makes a body a peer rejects).
  error_details details;

  friend bool operator==(const error_message&, const error_message&) = default;
};

// Decodes an ERROR body. Errors: truncated, negative_length (a negative reason-map count),
// bad_value (an invalid consistency or an [inetaddr] of a size other than 4 or 16).
result<error_message> decode_error(bytes_view body, protocol_version v);

// Encodes an ERROR body in the layout of version v (see the version differences above).
bytes encode_error(const error_message& m, protocol_version v);

}  // namespace tandem::protocol
