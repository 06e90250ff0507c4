// Connections the proxy opens for its own purposes (the start-up probe, the T0 record), as
// opposed to the ones it opens on a client's behalf: protocol v4, STARTUP, and SASL PLAIN with
// the cluster's configured credentials when the node asks for them (spec v4 §4.2.3, §4.1.2).
#pragma once

#include "protocol/messages/result.hpp"
#include "protocol/types.hpp"
#include "client/cluster_connection.hpp"
#include "client/cluster_settings.hpp"

#include <memory>
#include <optional>
#include <string>

namespace tandem::client {

struct own_connection {
  std::shared_ptr<cluster_connection> conn;  // null when `error` is set
  std::string error;
};

// Connects to `host` of cluster `c` (over TLS with `tls` when not null) and finishes the
// handshake. Bounded by c's timeouts. `throw_on_overload`: STARTUP asks for THROW_ON_OVERLOAD
// (spec v5 §4.1.1), so an overloaded node answers Overloaded instead of stalling the
// connection (the journal replayer's adaptive concurrency wants the push-back).
asio::awaitable<own_connection> open_own_connection(asio::any_io_executor ex,
                                                    const cluster_settings& c,
                                                    std::shared_ptr<asio::ssl::context> tls,
                                                    const std::string& name,
                                                    const std::string& host,
                                                    bool throw_on_overload = false);

struct statement_outcome {
  std::optional<protocol::result_message> result;  // set when the node answered RESULT
  std::string error;                               // what failed otherwise
};

// Runs one unprepared statement at consistency `cl` and decodes the answer.
asio::awaitable<statement_outcome> run_statement(cluster_connection& conn, std::string cql,
                                                 protocol::consistency cl);

// The text of column `column` in the first row, or "" (absent, null, or no rows).
std::string first_row_text(const protocol::rows_result& rows, const std::string& column);

// The cell of `column` in the first row, if present and not null.
std::optional<protocol::bytes> first_row_cell(const protocol::rows_result& rows,
                                              const std::string& column);

// A CQL string literal: 'text' with each quote inside doubled (CQL's only escape there).
std::string cql_string_literal(const std::string& s);

}  // namespace tandem::client
