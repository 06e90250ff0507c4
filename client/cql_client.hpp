// The backfill's connection to one node of one cluster: the proxy's cluster_connection (stream
// ids, timeouts, TLS) with the handshake of own_connection, plus what a copy needs: prepared
// statements kept per connection (re-prepared on UNPREPARED), paged reads, unlogged batches,
// and errors that keep the server's code (Overloaded, timeouts) for the rate control.
#pragma once

#include "protocol/messages/result.hpp"
#include "protocol/types.hpp"
#include "client/cluster_connection.hpp"
#include "client/cluster_settings.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tandem::client {

namespace asio = boost::asio;

// What failed: a protocol ERROR (code != 0) or the connection (code 0, see `failure`).
struct cql_error {
  std::int32_t code = 0;
  client::call_failure failure = client::call_failure::none;
  std::string message;

  // Overloaded, write/read timeouts, unavailable, or no answer in time: back off and retry.
  bool is_retryable() const noexcept;
};

struct page {
  protocol::rows_result rows;
  std::optional<protocol::bytes> paging_state;  // set when more pages follow
};

template <class T>
struct outcome {
  std::optional<T> value;
  cql_error error;  // meaningful when !value
  explicit operator bool() const noexcept { return value.has_value(); }
};

struct done {};

struct statement {
  std::string cql;
  std::vector<protocol::value> values;
};

protocol::consistency consistency_named(const std::string& name);

class cql_client {
 public:
  // Opens a connection to the first node of `nodes` that answers and finishes the handshake.
  // When that connection is lost later, the next call opens one to the next node of `nodes`
  // that answers (each tried once, round the list), so a node dying mid-copy costs the calls
  // in flight on it, which fail as `disconnected` (retryable), and nothing else.
  // `throw_on_overload` (every connection to the target): STARTUP asks for THROW_ON_OVERLOAD
  // (spec v5 §4.1.1), so a rate-limited node answers Overloaded, as a managed service answers
  // 429, instead of stalling the connection; the backfill's pacer wants the push-back.
  static asio::awaitable<outcome<std::shared_ptr<cql_client>>> open(
      asio::any_io_executor ex, const client::cluster_settings& c,
      std::shared_ptr<asio::ssl::context> tls, std::string name, std::vector<std::string> nodes,
      bool throw_on_overload = false);

  explicit cql_client(std::shared_ptr<client::cluster_connection> conn) : conn_(std::move(conn)) {}

  bool is_open() const noexcept { return conn_ && conn_->is_open(); }
  const std::string& name() const noexcept { return conn_->settings().name; }
  // The node the connection is to now (another one after a reopen).
  const std::string& host() const noexcept { return conn_->settings().endpoint.host; }

  // A prepared statement (prepared once per connection) with values; one page.
  asio::awaitable<outcome<page>> execute(statement s, protocol::consistency cl,
                                         std::int32_t page_size = 0,
                                         std::optional<protocol::bytes> paging_state = {});

  // An UNLOGGED BATCH of prepared statements (all of one partition: the caller's rule).
  asio::awaitable<outcome<done>> batch(std::vector<statement> statements, protocol::consistency cl);

  void close() {
    closed_ = true;
    if (conn_) conn_->close("backfill done");
  }

  // How many times the connection was opened again on another node.
  std::uint64_t reopened() const noexcept { return reopened_; }

 private:
  // What open() was given, to open the connection again on another node.
  struct node_list {
    asio::any_io_executor ex;
    client::cluster_settings settings;
    std::shared_ptr<asio::ssl::context> tls;
    std::string name;
    std::vector<std::string> nodes;
    std::size_t next = 0;  // the node after the one connected to
    bool throw_on_overload = false;
  };

  asio::awaitable<outcome<protocol::bytes>> prepared_id(const std::string& cql, bool again);
  asio::awaitable<client::call_result> call(protocol::opcode op, protocol::bytes body);
  asio::awaitable<void> reopen();

  std::shared_ptr<client::cluster_connection> conn_;
  std::map<std::string, protocol::bytes> prepared_;
  std::optional<node_list> nodes_;
  bool reopening_ = false;
  bool closed_ = false;
  std::uint64_t reopened_ = 0;
};

// The error an answer carries: its ERROR code and message, or the connection failure (code 0).
// Meaningful only for a failed call or an ERROR answer.
cql_error error_of(const client::call_result& r);

// For the step-by-step coroutines: when `r` failed, its error goes into `out` and the caller
// returns `out` (`if (failed(out, r)) co_return out;`).
template <class T, class U>
bool failed(outcome<T>& out, const outcome<U>& r) {
  if (r) {
    return false;
  }
  out.error = r.error;
  return true;
}

// Whether a lightweight transaction's answer says it was applied: its [applied] column in the
// first row (the server adds it to every conditional statement's RESULT Rows).
bool applied(const protocol::rows_result& rows);

// Runs each statement in turn (schema statements, plain writes) and stops at the first error.
asio::awaitable<outcome<done>> run_all(cql_client& c, std::vector<statement> statements,
                                       protocol::consistency cl);

}  // namespace tandem::client
