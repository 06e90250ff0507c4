// What the stub backend answers (issue 7): canned results, decided from the statement text
// alone, good enough for the Tandem proxy's probes (proxy/cluster_probe.cpp reads
// system.local and system.peers_v2 / system.peers by column name; proxy/t0_record.cpp needs
// an [applied] row for its INSERT ... IF NOT EXISTS), for drivers' prepared statements and for
// tandem-loadgen. Pure: text in, RESULT messages out; the sockets live in stub_server.
//
// The stub has no schema. A bind marker or selected column named like a key (k, key, id, pk)
// is a bigint, [limit] and [ttl] are ints, [timestamp] is a bigint, everything else a blob.
#pragma once

#include "protocol/messages/result.hpp"
#include "protocol/types.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tandem::bench {

struct stub_identity {
  std::string cluster_name = "tandem-stub";
  std::string data_center = "datacenter1";
  std::string rack = "rack1";
  std::string release_version = "5.0.9";
  std::string partitioner = "org.apache.cassandra.dht.Murmur3Partitioner";
  std::array<std::uint8_t, 4> address{127, 0, 0, 1};
  std::int32_t port = 9042;
  std::size_t row_size = 100;  // bytes of each blob cell in a canned row
};

// A prepared statement as the stub keeps it: the PREPARE answer and the canned answer of
// each EXECUTE, encoded once.
struct stub_statement {
  bool is_read = false;
  protocol::bytes prepared_body;          // RESULT Prepared
  protocol::bytes answer_body;            // RESULT Void, Rows (with metadata) or [applied]
  protocol::bytes answer_body_no_metadata;  // the same for EXECUTE with skip_metadata
};

// The 16-byte id the stub gives a statement: a hash of keyspace and text, so every stub (and
// every restart) gives the same text the same id, as Cassandra does with its MD5.
std::array<std::byte, 16> statement_id(std::string_view keyspace, std::string_view text);

// The answer to PREPARE of `text` in the session's keyspace.
stub_statement prepare_statement(std::string_view text, std::string_view keyspace,
                                 protocol::protocol_version v, const stub_identity& who);

// The answer to QUERY of `text`: Rows for SELECT (system.local/peers/peers_v2 canned, other
// system keyspaces empty, anything else one row), Set_keyspace for USE, an [applied] row for
// conditional writes, Void for the rest. `keyspace_out` receives the keyspace of a USE.
protocol::result_message answer_query(std::string_view text, const stub_identity& who,
                                      std::string& keyspace_out);

}  // namespace tandem::bench
