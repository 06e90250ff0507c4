#include "proxy/journal_replay.hpp"
#include "proxy/request_helpers.hpp"

#include "client/own_connection.hpp"
#include "client/retry_hint.hpp"
#include "protocol/messages/batch.hpp"
#include "protocol/messages/error_message.hpp"
#include "protocol/messages/execute.hpp"
#include "protocol/messages/prepare.hpp"
#include "protocol/messages/query.hpp"
#include "protocol/messages/result.hpp"
#include "protocol/request_body.hpp"
#include "protocol/wire_reader.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

namespace tandem::proxy {

using protocol::error_code;
using protocol::opcode;

replay_verdict judge_replay(std::optional<std::int32_t> code) noexcept {
  if (!code) {
    return replay_verdict::done;
  }
  switch (static_cast<error_code>(*code)) {
    case error_code::unprepared: return replay_verdict::reprepare;
    case error_code::server_error:
    case error_code::unavailable:
    case error_code::overloaded:
    case error_code::is_bootstrapping:
    case error_code::truncate_error:
    case error_code::write_timeout:
    case error_code::write_failure:
    case error_code::read_timeout:
    case error_code::read_failure:
    case error_code::cas_write_unknown: return replay_verdict::retry;
    default: return replay_verdict::dead_letter;  // the cluster will say the same next time
  }
}

namespace {

constexpr auto replay_protocol = protocol::protocol_version::v4;
constexpr std::chrono::milliseconds min_backoff{100};
constexpr std::chrono::milliseconds max_backoff{5000};
constexpr std::chrono::milliseconds max_hinted_wait{60'000};  // a hint beyond a minute is a typo

// One connection of the replayer's per (cluster, keyspace): USE is connection state, and
// records of several keyspaces replay at once.
struct replay_link {
  std::shared_ptr<client::cluster_connection> conn;
  std::map<std::string, protocol::bytes> prepared;  // statement text -> id on this node
};

struct attempt {
  replay_verdict verdict = replay_verdict::retry;
  std::string error;
};

std::string error_text(const protocol::owned_frame& f) {
  protocol::wire_reader r(protocol::response_message(f.header, f.body));
  auto code = r.read_int();
  auto message = r.read_string();
  return "error " + std::to_string(code ? *code : 0) + ": " +
         std::string(message ? *message : std::string_view("(no message)"));
}

class replayer {
 public:
  replayer(std::shared_ptr<proxy_context> ctx, asio::any_io_executor ex)
      : ctx_(std::move(ctx)), ex_(ex), wake_(ex),
        limit_(std::min<unsigned>(4, ctx_->cfg.journal.replay_concurrency)) {}

  asio::awaitable<void> run() {
    journal& j = *ctx_->journal;
    for (;;) {
      ctx_->journal_replay_limit.store(limit_);
      const auto now = std::chrono::steady_clock::now();
      while (in_flight_ < limit_ && now >= resume_at_) {
        auto rec = j.next_for_replay();
        if (!rec) {
          break;
        }
        if (!rec->replay_safe) {
          spdlog::warn("journal: record {} ({}) is a counter update, list append or LWT: not "
                       "replayed; table "
                       "{} needs a validation",
                       rec->seq, rec->statements.empty() ? "text" : "prepared", rec->table);
          j.mark_unsafe(*rec, "counter update, list append or lightweight transaction: not replayed");
          continue;
        }
        ++in_flight_;
        asio::co_spawn(ex_, one(std::move(*rec)), asio::detached);
      }
      wake_.expires_after(std::chrono::milliseconds(20));
      boost::system::error_code ec;
      co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

 private:
  asio::awaitable<void> one(journal_record rec) {
    journal& j = *ctx_->journal;
    const attempt a = co_await send(rec);
    switch (a.verdict) {
      case replay_verdict::done:
        j.confirm(rec.seq);
        j.counters().replayed.fetch_add(1);
        backoff_ = min_backoff;
        if (++successes_ >= limit_) {
          successes_ = 0;
          limit_ = std::min(limit_ + 1, ctx_->cfg.journal.replay_concurrency);
        }
        break;
      case replay_verdict::reprepare:
      case replay_verdict::retry:
        j.replay_failed(rec.seq);
        if (a.verdict == replay_verdict::retry) {
          limit_ = std::max(1u, limit_ / 2);
          successes_ = 0;
          j.counters().replay_backoffs.fetch_add(1);
          // The target's own hint, when it gives one, if it asks for longer than the backoff.
          const auto wait = std::max(backoff_, client::retry_after_hint(a.error).value_or(backoff_));
          resume_at_ = std::chrono::steady_clock::now() + std::min(wait, max_hinted_wait);
          backoff_ = std::min(backoff_ * 2, max_backoff);
          if (auto suppressed = ctx_->failure_log.admit()) {
            spdlog::warn("journal: replay of record {} failed for now ({}); concurrency {}{}",
                         rec.seq, a.error, limit_,
                         *suppressed > 0 ? " [" + std::to_string(*suppressed) + " more not logged]"
                                         : std::string());
          }
        }
        break;
      case replay_verdict::dead_letter:
        spdlog::error("journal: record {} refused for good by the {} ({}): moved to the dead "
                      "letters in {}",
                      rec.seq, rec.to_source ? "source" : "target", a.error,
                      ctx_->cfg.journal.dir);
        j.dead_letter(rec, a.error);
        break;
    }
    --in_flight_;
    wake_.cancel();
  }

  asio::awaitable<replay_link*> link(bool to_source, const std::string& keyspace) {
    auto& l = links_[{to_source, keyspace}];
    if (l.conn && l.conn->is_open()) {
      co_return &l;
    }
    l = replay_link{};
    const auto& settings = to_source ? ctx_->cfg.source : ctx_->cfg.target;
    const auto& tls = ctx_->cluster_tls(to_source ? cluster::source : cluster::target);
    for (const auto& host : settings.contact_points) {
      auto opened = co_await client::open_own_connection(
          ex_, settings, tls, to_source ? "source" : "target", host, true);
      if (!opened.conn) {
        last_error_ = opened.error;
        continue;
      }
      if (!keyspace.empty()) {
        protocol::query_message use;
        use.query = "USE \"" + keyspace + "\"";
        auto r = co_await opened.conn->call(opcode::query, protocol::encode_query(use, replay_protocol));
        if (!r.ok() || r.frame.header.op != opcode::result) {
          last_error_ = r.ok() ? error_text(r.frame) : r.detail;
          opened.conn->close("USE failed");
          continue;
        }
      }
      l.conn = opened.conn;
      co_return &l;
    }
    co_return nullptr;
  }

  // The id of `s` on the cluster, prepared on the link of its own keyspace (ids are node-wide);
  // std::nullopt with `failed` set when it could not be had.
  asio::awaitable<std::optional<protocol::bytes>> prepared_id(bool to_source,
                                                              const journal_statement& s,
                                                              attempt& failed) {
    replay_link* l = co_await link(to_source, s.keyspace);
    if (l == nullptr) {
      failed = attempt{replay_verdict::retry, last_error_};
      co_return std::nullopt;
    }
    if (auto it = l->prepared.find(s.text); it != l->prepared.end()) {
      co_return it->second;
    }
    protocol::prepare_message p;
    p.query = s.text;
    auto r = co_await l->conn->call(opcode::prepare, protocol::encode_prepare(p, replay_protocol));
    if (!r.ok()) {
      failed = attempt{replay_verdict::retry, r.detail};
      co_return std::nullopt;
    }
    if (r.frame.header.op == opcode::error) {
      const auto v = judge_replay(error_code_of(r.frame));
      failed = attempt{v == replay_verdict::reprepare ? replay_verdict::retry : v,
                       "PREPARE: " + error_text(r.frame)};
      co_return std::nullopt;
    }
    auto decoded = protocol::decode_result(protocol::response_message(r.frame.header, r.frame.body), replay_protocol);
    if (!decoded || !std::holds_alternative<protocol::prepared_result>(*decoded)) {
      failed = attempt{replay_verdict::dead_letter, "PREPARE answered without a prepared result"};
      co_return std::nullopt;
    }
    auto id = std::get<protocol::prepared_result>(*decoded).id;
    l->prepared[s.text] = id;
    co_return id;
  }

  // The record as a v4 request on the right connection, and the cluster's verdict.
  asio::awaitable<attempt> send(const journal_record& rec) {
    std::string keyspace = rec.keyspace;
    attempt failed;
    protocol::bytes body;
    if (rec.op == opcode::query) {
      auto m = protocol::decode_query(rec.message, rec.version);
      if (!m) {
        co_return attempt{replay_verdict::dead_letter, "unreadable QUERY: " + m.error().message()};
      }
      keyspace = m->params.keyspace.value_or(keyspace);
      m->params.keyspace.reset();
      m->params.now_in_seconds.reset();
      body = protocol::encode_query(*m, replay_protocol);
    } else if (rec.op == opcode::execute) {
      auto m = protocol::decode_execute(rec.message, rec.version);
      if (!m || rec.statements.empty()) {
        co_return attempt{replay_verdict::dead_letter, "unreadable EXECUTE record"};
      }
      auto id = co_await prepared_id(rec.to_source, rec.statements.front(), failed);
      if (!id) {
        co_return failed;
      }
      m->id = *id;
      m->result_metadata_id.reset();
      keyspace = m->params.keyspace.value_or(keyspace);
      m->params.keyspace.reset();
      m->params.now_in_seconds.reset();
      body = protocol::encode_execute(*m, replay_protocol);
    } else {
      auto b = protocol::decode_batch(rec.message, rec.version);
      if (!b) {
        co_return attempt{replay_verdict::dead_letter, "unreadable BATCH: " + b.error().message()};
      }
      std::size_t next = 0;
      for (auto& child : b->children) {
        if (child.kind != protocol::batch_child_kind::prepared) {
          continue;
        }
        if (next >= rec.statements.size()) {
          co_return attempt{replay_verdict::dead_letter, "BATCH record without its statements"};
        }
        auto id = co_await prepared_id(rec.to_source, rec.statements[next++], failed);
        if (!id) {
          co_return failed;
        }
        child.id = *id;
      }
      keyspace = b->keyspace.value_or(keyspace);
      b->keyspace.reset();
      b->now_in_seconds.reset();
      body = protocol::encode_batch(*b, replay_protocol);
    }
    replay_link* l = co_await link(rec.to_source, keyspace);
    if (l == nullptr) {
      co_return attempt{replay_verdict::retry, last_error_};
    }
    auto r = co_await l->conn->call(rec.op, std::move(body));
    if (!r.ok()) {
      co_return attempt{replay_verdict::retry, r.detail};
    }
    if (r.frame.header.op != opcode::error) {
      co_return attempt{replay_verdict::done, {}};
    }
    const auto verdict = judge_replay(error_code_of(r.frame));
    if (verdict == replay_verdict::reprepare) {
      l->prepared.clear();
      for (auto& [key, other] : links_) {
        other.prepared.clear();
      }
    }
    co_return attempt{verdict, error_text(r.frame)};
  }

  std::shared_ptr<proxy_context> ctx_;
  asio::any_io_executor ex_;
  asio::steady_timer wake_;
  std::map<std::pair<bool, std::string>, replay_link> links_;
  unsigned limit_;
  unsigned in_flight_ = 0;
  unsigned successes_ = 0;
  std::chrono::milliseconds backoff_ = min_backoff;
  std::chrono::steady_clock::time_point resume_at_{};
  std::string last_error_ = "no contact point answered";
};

}  // namespace

asio::awaitable<void> replay_journal(std::shared_ptr<proxy_context> ctx) {
  auto ex = co_await asio::this_coro::executor;
  replayer r(std::move(ctx), ex);
  co_await r.run();
}

}  // namespace tandem::proxy
