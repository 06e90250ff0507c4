#include "client/cql_client.hpp"

#include "protocol/messages/batch.hpp"
#include "protocol/messages/error_message.hpp"
#include "protocol/messages/execute.hpp"
#include "protocol/messages/prepare.hpp"
#include "client/own_connection.hpp"
#include "protocol/request_body.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace tandem::client {

using protocol::opcode;

namespace {
constexpr auto v4 = protocol::protocol_version::v4;

// The message of an answer, after the warnings (and tracing id, custom payload) its flags
// announce: Cassandra warns on some DDL and on large batches.
protocol::bytes_view message_of(const protocol::owned_frame& f) {
  return protocol::response_message(f.header, f.body);
}
}  // namespace

bool cql_error::is_retryable() const noexcept {
  using ec = protocol::error_code;
  if (code == 0) {
    // A lost connection too: the next call opens one to another node (cql_client::reopen).
    return failure == client::call_failure::timed_out ||
           failure == client::call_failure::overloaded ||
           failure == client::call_failure::disconnected;
  }
  const auto e = static_cast<ec>(code);
  return e == ec::overloaded || e == ec::write_timeout || e == ec::read_timeout ||
         e == ec::unavailable || e == ec::is_bootstrapping;
}


protocol::consistency consistency_named(const std::string& name) {
  using c = protocol::consistency;
  static const std::map<std::string, c> names = {
      {"ANY", c::any},       {"ONE", c::one},       {"TWO", c::two},
      {"THREE", c::three},   {"QUORUM", c::quorum}, {"ALL", c::all},
      {"LOCAL_QUORUM", c::local_quorum}, {"EACH_QUORUM", c::each_quorum},
      {"LOCAL_ONE", c::local_one}};
  const auto it = names.find(name);
  return it == names.end() ? c::local_quorum : it->second;
}

cql_error error_of(const client::call_result& r) {
  cql_error e;
  if (!r.ok()) {
    e.failure = r.failure;
    e.message = r.detail;
    return e;
  }
  if (r.frame.header.op != opcode::error) {
    return e;
  }
  auto decoded = protocol::decode_error(message_of(r.frame), v4);
  e.code = decoded ? static_cast<std::int32_t>(decoded->code) : -1;
  e.message = decoded ? decoded->message : "an undecodable ERROR";
  return e;
}

asio::awaitable<outcome<std::shared_ptr<cql_client>>> cql_client::open(
    asio::any_io_executor ex, const client::cluster_settings& c,
    std::shared_ptr<asio::ssl::context> tls, std::string name, std::vector<std::string> nodes,
    bool throw_on_overload) {
  outcome<std::shared_ptr<cql_client>> out;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    auto opened = co_await client::open_own_connection(ex, c, tls, name, nodes[i], throw_on_overload);
    if (opened.conn) {
      auto client = std::make_shared<cql_client>(std::move(opened.conn));
      client->nodes_ = node_list{ex, c, tls, name, nodes, i + 1, throw_on_overload};
      out.value = std::move(client);
      co_return out;
    }
    out.error.message = opened.error;
  }
  if (out.error.message.empty()) {
    out.error.message = name + ": no node to connect to";
  }
  co_return out;
}

// The connection opened again on the next node of the list that answers. Calls that come
// meanwhile wait for it; when no node answers, the old (closed) connection stays and calls
// fail as `disconnected` until a node is back.
asio::awaitable<void> cql_client::reopen() {
  if (!nodes_ || closed_) {
    co_return;
  }
  if (reopening_) {
    asio::steady_timer wait(nodes_->ex);
    while (reopening_) {
      wait.expires_after(std::chrono::milliseconds(10));
      co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    co_return;
  }
  reopening_ = true;
  auto& n = *nodes_;
  for (std::size_t i = 0; i < n.nodes.size() && !closed_; ++i) {
    const std::size_t at = (n.next + i) % n.nodes.size();
    auto opened = co_await client::open_own_connection(n.ex, n.settings, n.tls, n.name, n.nodes[at],
                                                       n.throw_on_overload);
    if (opened.conn) {
      conn_ = std::move(opened.conn);
      prepared_.clear();  // statements are prepared per node
      n.next = at + 1;
      ++reopened_;
      break;
    }
  }
  reopening_ = false;
}

asio::awaitable<client::call_result> cql_client::call(opcode op, protocol::bytes body) {
  if (!conn_->is_open()) {
    co_await reopen();
  }
  auto conn = conn_;  // kept alive through the call even if another call reopens meanwhile
  auto r = co_await conn->call(op, std::move(body));
  co_return r;
}

asio::awaitable<outcome<protocol::bytes>> cql_client::prepared_id(const std::string& cql,
                                                                  bool again) {
  outcome<protocol::bytes> out;
  if (!again) {
    if (auto it = prepared_.find(cql); it != prepared_.end()) {
      out.value = it->second;
      co_return out;
    }
  }
  protocol::prepare_message p;
  p.query = cql;
  protocol::bytes body = protocol::encode_prepare(p, v4);
  auto r = co_await call(opcode::prepare, std::move(body));
  if (!r.ok() || r.frame.header.op != opcode::result) {
    out.error = error_of(r);
    out.error.message = "preparing " + cql + ": " + out.error.message;
    co_return out;
  }
  auto decoded = protocol::decode_result(message_of(r.frame), v4);
  if (!decoded || !std::holds_alternative<protocol::prepared_result>(*decoded)) {
    out.error.message = "preparing " + cql + ": an unexpected answer";
    co_return out;
  }
  prepared_[cql] = std::get<protocol::prepared_result>(*decoded).id;
  out.value = prepared_[cql];
  co_return out;
}

asio::awaitable<outcome<page>> cql_client::execute(statement s, protocol::consistency cl,
                                                   std::int32_t page_size,
                                                   std::optional<protocol::bytes> paging_state) {
  outcome<page> out;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto id = co_await prepared_id(s.cql, attempt > 0);
    if (!id) {
      out.error = id.error;
      co_return out;
    }
    protocol::execute_message m;
    m.id = *id.value;
    m.params.consistency_level = cl;
    m.params.values = s.values;
    if (page_size > 0) {
      m.params.page_size = page_size;
    }
    m.params.paging_state = paging_state;
    protocol::bytes body = protocol::encode_execute(m, v4);
    auto r = co_await call(opcode::execute, std::move(body));
    auto e = error_of(r);
    if (e.code == static_cast<std::int32_t>(protocol::error_code::unprepared)) {
      continue;  // the node forgot it: prepare again, once
    }
    if (!r.ok() || r.frame.header.op != opcode::result) {
      out.error = e;
      co_return out;
    }
    auto decoded = protocol::decode_result(message_of(r.frame), v4);
    if (!decoded) {
      out.error.message = "an undecodable RESULT: " + decoded.error().message();
      co_return out;
    }
    page p;
    if (auto* rows = std::get_if<protocol::rows_result>(&*decoded)) {
      p.paging_state = rows->metadata.paging_state;
      p.rows = std::move(*rows);
    }
    out.value = std::move(p);
    co_return out;
  }
  out.error.message = s.cql + ": UNPREPARED twice";
  co_return out;
}

asio::awaitable<outcome<done>> cql_client::batch(std::vector<statement> statements,
                                                 protocol::consistency cl) {
  outcome<done> out;
  if (statements.size() == 1) {
    auto one = co_await execute(std::move(statements.front()), cl);
    if (one) {
      out.value = done{};
    } else {
      out.error = one.error;
    }
    co_return out;
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    protocol::batch_message b;
    b.type = protocol::batch_type::unlogged;
    b.consistency_level = cl;
    for (const auto& s : statements) {
      auto id = co_await prepared_id(s.cql, attempt > 0);
      if (!id) {
        out.error = id.error;
        co_return out;
      }
      protocol::batch_child child;
      child.kind = protocol::batch_child_kind::prepared;
      child.id = *id.value;
      child.values = s.values;
      b.children.push_back(std::move(child));
    }
    protocol::bytes body = protocol::encode_batch(b, v4);
    auto r = co_await call(opcode::batch, std::move(body));
    auto e = error_of(r);
    if (e.code == static_cast<std::int32_t>(protocol::error_code::unprepared)) {
      continue;
    }
    if (!r.ok() || r.frame.header.op != opcode::result) {
      out.error = e;
      co_return out;
    }
    out.value = done{};
    co_return out;
  }
  out.error.message = "BATCH: UNPREPARED twice";
  co_return out;
}

bool applied(const protocol::rows_result& rows) {
  for (std::size_t i = 0; i < rows.metadata.columns.size(); ++i) {
    if (rows.metadata.columns[i].name == "[applied]" && !rows.rows.empty() && rows.rows[0][i] &&
        !rows.rows[0][i]->empty()) {
      return rows.rows[0][i]->front() != std::byte{0};
    }
  }
  return false;
}

asio::awaitable<outcome<done>> run_all(cql_client& c, std::vector<statement> statements,
                                       protocol::consistency cl) {
  outcome<done> out;
  for (auto& s : statements) {
    auto r = co_await c.execute(std::move(s), cl);
    if (failed(out, r)) {
      co_return out;
    }
  }
  out.value = done{};
  co_return out;
}

}  // namespace tandem::client
