#include "client/own_connection.hpp"

#include "protocol/messages/error_message.hpp"
#include "protocol/messages/query.hpp"
#include "protocol/messages/startup.hpp"
#include "protocol/wire_writer.hpp"

namespace tandem::client {

using protocol::opcode;

asio::awaitable<own_connection> open_own_connection(asio::any_io_executor ex,
                                                    const cluster_settings& c,
                                                    std::shared_ptr<asio::ssl::context> tls,
                                                    const std::string& name,
                                                    const std::string& host,
                                                    bool throw_on_overload) {
  const auto v = protocol::protocol_version::v4;
  cluster_connection_settings s;
  s.endpoint = {host, c.port};
  s.name = name;
  s.version = v;
  s.connect_timeout = c.connect_timeout;
  s.request_timeout = c.request_timeout;
  s.heartbeat_interval = c.heartbeat_interval;
  s.tls = std::move(tls);
  s.verify_hostname = c.tls.verify_hostname;
  s.server_name = c.tls.server_name;
  auto conn = std::make_shared<cluster_connection>(ex, s);
  own_connection out;
  if (auto err = co_await conn->connect(); !err.empty()) {
    out.error = err;
    co_return out;
  }
  protocol::startup_message startup;
  startup.options["CQL_VERSION"] = "3.0.0";
  if (throw_on_overload) {
    startup.options["THROW_ON_OVERLOAD"] = "1";  // older nodes ignore it
  }
  protocol::bytes startup_body = protocol::encode_startup(startup, v);
  auto answer = co_await conn->call(opcode::startup, std::move(startup_body));
  if (answer.ok() && answer.frame.header.op == opcode::authenticate) {
    conn->begin_framing(protocol::compression_algorithm::none);
    // SASL PLAIN token: \0 user \0 password (RFC 4616), as Cassandra's PasswordAuthenticator reads it.
    protocol::bytes token{std::byte{0}};
    for (char ch : c.username) token.push_back(static_cast<std::byte>(ch));
    token.push_back(std::byte{0});
    for (char ch : c.password) token.push_back(static_cast<std::byte>(ch));
    protocol::wire_writer w;
    w.write_bytes(protocol::bytes_view(token));
    protocol::bytes auth_body = w.take();
    answer = co_await conn->call(opcode::auth_response, std::move(auth_body));
  } else if (answer.ok() && answer.frame.header.op == opcode::ready) {
    conn->begin_framing(protocol::compression_algorithm::none);
  }
  if (!answer.ok()) {
    out.error = answer.detail;
    conn->close("handshake failed");
    co_return out;
  }
  if (answer.frame.header.op != opcode::ready && answer.frame.header.op != opcode::auth_success) {
    auto err = protocol::decode_error(answer.frame.body, v);
    out.error = name + " refused the proxy's handshake" +
                (err ? ": " + err->message : std::string(" (credentials?)"));
    conn->close("handshake refused");
    co_return out;
  }
  out.conn = std::move(conn);
  co_return out;
}

asio::awaitable<statement_outcome> run_statement(cluster_connection& conn, std::string cql,
                                                 protocol::consistency cl) {
  const auto v = conn.settings().version;
  protocol::query_message q;
  q.query = std::move(cql);
  q.params.consistency_level = cl;
  protocol::bytes body = protocol::encode_query(q, v);
  auto answer = co_await conn.call(opcode::query, std::move(body));
  statement_outcome out;
  if (!answer.ok()) {
    out.error = answer.detail;
    co_return out;
  }
  if (answer.frame.header.op == opcode::error) {
    auto err = protocol::decode_error(answer.frame.body, v);
    out.error = err ? err->message : "an undecodable ERROR";
    co_return out;
  }
  if (answer.frame.header.op != opcode::result) {
    out.error = "an unexpected answer to QUERY";
    co_return out;
  }
  auto decoded = protocol::decode_result(answer.frame.body, v);
  if (!decoded) {
    out.error = "an undecodable RESULT: " + decoded.error().message();
    co_return out;
  }
  out.result = std::move(*decoded);
  co_return out;
}

std::string cql_string_literal(const std::string& s) {
  std::string out = "'";
  for (char ch : s) {
    out += ch;
    if (ch == '\'') {
      out += '\'';
    }
  }
  return out + "'";
}

std::optional<protocol::bytes> first_row_cell(const protocol::rows_result& rows,
                                              const std::string& column) {
  if (rows.rows.empty()) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < rows.metadata.columns.size(); ++i) {
    if (rows.metadata.columns[i].name == column && i < rows.rows[0].size() && rows.rows[0][i]) {
      return *rows.rows[0][i];
    }
  }
  return std::nullopt;
}

std::string first_row_text(const protocol::rows_result& rows, const std::string& column) {
  auto cell = first_row_cell(rows, column);
  if (!cell) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(cell->data()), cell->size());
}

}  // namespace tandem::client
