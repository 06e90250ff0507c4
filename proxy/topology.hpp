// What the proxy answers to SELECTs of system.local, system.peers and system.peers_v2
// (DESIGN.md, topology): the proxy instances from the config instead of the real nodes, with
// tokens split evenly among them, so drivers connect to and balance over the proxies only.
// Pure: settings in, protocol::rows_result out. The columns and CQL types are those of
// Cassandra 5.0's tables (the subset drivers read; gossip_generation and truncated_at are left
// out).
//
// Queries are answered by parsing the SELECT (parse_system_select) and projecting the full
// table onto its selection (project) after filtering by its WHERE (filter_rows).
#pragma once

#include "protocol/messages/result.hpp"
#include "protocol/types.hpp"

#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::proxy {

// An error meant for the client: the session turns it into an Invalid (0x2200) ERROR whose
// message is this text.
template <class T>
using query_result = boost::system::result<T, std::string>;

// An error for a query_result<T> of any T. (A plain std::string does not convert implicitly:
// with C++20 aggregate parenthesised initialisation T itself can look constructible from it.)
struct query_failure {
  std::string message;
  template <class T>
  operator query_result<T>() && {
    return query_result<T>(boost::system::in_place_error, std::move(message));
  }
};

struct proxy_instance {
  std::string address;  // an IPv4 or IPv6 literal: what drivers will connect to
  std::uint16_t port = 9042;
};

struct topology_settings {
  std::vector<proxy_instance> instances;  // every proxy instance, this one included
  std::size_t self_index = 0;             // this instance's position in `instances`
  std::string data_center = "datacenter1";  // the source's, so DC-aware policies keep working
  std::string rack = "rack1";
  std::string release_version = "5.0.0";
  std::string cluster_name = "Tandem";
  std::string partitioner = "org.apache.cassandra.dht.Murmur3Partitioner";
  std::string cql_version = "3.4.7";
  std::string native_protocol_version = "5";  // a text column in system.local
  // Drivers wait for "schema agreement" by comparing schema_version across local and peers;
  // the session may refresh it from the source's system.local after a schema change.
  protocol::uuid schema_version{};
  std::size_t tokens_per_instance = 16;
};

// Checks the settings; throws std::invalid_argument naming the field and the bad value (an
// address that is not an IP literal, self_index out of range, no instances, 0 tokens).
void validate(const topology_settings& s);

// A stable UUID for an instance, derived from "address:port" (RFC 9562 version 8, so it cannot
// collide with a real node's random version 4 host id).
protocol::uuid derive_host_id(const proxy_instance& p);

// All tokens, ascending: total = instances * tokens_per_instance, token_i = -2^63 + i * step,
// step = floor(2^64 / total). Token i belongs to instance i % instances (interleaved, so each
// instance owns an equal share spread around the ring).
std::vector<std::int64_t> ring_tokens(std::size_t instances, std::size_t tokens_per_instance);
// The tokens of instance `index`, as decimal strings (the type of the tokens set<text>).
std::vector<std::string> instance_tokens(const topology_settings& s, std::size_t index);

// The full tables (all columns listed above, in Cassandra's alphabetical order after the key).
// system.local: one row, key 'local'. peers and peers_v2: one row per OTHER instance.
// Requires validate(s) to have passed.
protocol::rows_result local_table(const topology_settings& s);
protocol::rows_result peers_table(const topology_settings& s);
protocol::rows_result peers_v2_table(const topology_settings& s);
// The full table for "local", "peers", "peers_v2"; an error naming the table otherwise.
query_result<protocol::rows_result> full_table(const topology_settings& s, std::string_view table);

// One selected column: `name` or `name AS alias` (alias == name when not given).
struct select_item {
  std::string name;
  std::string alias;

  friend bool operator==(const select_item&, const select_item&) = default;
};

// One `column = value` of the WHERE clause: a literal (its CQL text value: a string literal's
// contents or a number's digits) or a bind marker (its position among the statement's markers).
struct where_equal {
  std::string column;
  std::optional<std::string> literal;
  std::size_t marker = 0;   // when !literal: the marker's position among all the markers
  std::string marker_name;  // when !literal and the marker is :name (the Java driver sends
                            // its peers queries with named values); empty for '?'

  friend bool operator==(const where_equal&, const where_equal&) = default;
};

struct system_select {
  std::string table;  // "local", "peers" or "peers_v2"
  bool star = false;  // SELECT *
  std::vector<select_item> items;  // when !star, in order
  std::vector<where_equal> where;  // conditions joined by AND
  std::size_t markers = 0;         // bind markers in the statement (WHERE and LIMIT)
  std::optional<std::size_t> limit_marker;  // LIMIT ?: its position

  friend bool operator==(const system_select&, const system_select&) = default;
};

// Parses `SELECT [JSON]? * | name [AS alias], ... FROM [system.]table [WHERE c = v AND ...]
// [LIMIT n] [ALLOW FILTERING]` with the CQL lexer. Names may be quoted. Not supported (an
// error naming what): function calls (count(*), writetime(...)), JSON, DISTINCT, IN, ranges,
// ORDER BY. LIMIT and ALLOW FILTERING are accepted and ignored (the tables are tiny).
// `session_keyspace` qualifies an unqualified table, as in classify_statement.
query_result<system_select> parse_system_select(std::string_view text,
                                                std::string_view session_keyspace = {});

// Keeps the rows whose cells equal every condition. A literal is encoded in the column's type
// (text, inet from an address literal, int); a marker takes bound_values[marker] as sent (a
// null or missing value matches nothing). Unknown column: an error.
query_result<protocol::rows_result> filter_rows(const protocol::rows_result& full,
                                                std::span<const where_equal> where,
                                                std::span<const std::optional<protocol::bytes>>
                                                    bound_values = {});

// The requested columns in the requested order, each named by its alias; columns_or_star ==
// {"*"} keeps every column. An unknown column: an error "Undefined column name x in table
// system.t", as Cassandra words it.
query_result<protocol::rows_result> project(const protocol::rows_result& full,
                                            std::span<const select_item> items);
query_result<protocol::rows_result> project(const protocol::rows_result& full,
                                            const std::vector<std::string>& columns_or_star);

// The whole answer to a parsed SELECT: full_table, filter_rows, project.
query_result<protocol::rows_result> answer_select(
    const topology_settings& s, const system_select& q,
    std::span<const std::optional<protocol::bytes>> bound_values = {});

// True when `text` is a SELECT of system.local (qualified, or unqualified in the keyspace
// system): the one table whose answer can come from the primary with the proxy's values put
// back (with_instance_values), since it has one row on every node.
bool reads_system_local(std::string_view text, std::string_view session_keyspace = {});

// `forwarded`, an answer of the primary to a SELECT of its system.local, with every column the
// proxy answers for itself (local_table: addresses, host id, tokens, data center, versions,
// ...) replaced by the proxy's value when its name and type are those of local_table's column.
// Columns computed by functions keep Cassandra's values.
protocol::rows_result with_instance_values(const topology_settings& s,
                                           protocol::rows_result forwarded);

// For a PREPARE the proxy answers itself (route_prepare): a stable id derived from the query
// text and keyspace, the bind-marker metadata (one column per WHERE marker, typed as the
// column it is compared with) and the result metadata of the selection.
query_result<protocol::prepared_result> prepare_select(const topology_settings& s,
                                                       const system_select& q,
                                                       std::string_view query_text,
                                                       std::string_view keyspace,
                                                       protocol::protocol_version v);

}  // namespace tandem::proxy
