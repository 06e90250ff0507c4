// The journal's part of a mirrored write in source_authoritative mode (issue 14, README "The
// journal"): the client is answered only when the source answered and either the secondary
// confirmed the write or the journal holds it on disk. A write the source refused is answered
// at once and never journaled (issue 13: the secondary refusing it too is agreement).
#include "proxy/client_session.hpp"
#include "proxy/mirror_legs.hpp"

#include "protocol/cql/classifier.hpp"
#include "protocol/request_body.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace tandem::proxy {

namespace {

bool applied(const client::call_result& r) { return r.ok() && r.frame.header.op != protocol::opcode::error; }

bool secondary_has_it(const client::call_result& r) { return !is_failure(answer_of(r), true); }

// "keyspace.table" of the statement, for marking a table whose write could not be replayed.
std::string table_of(std::string_view text, const std::string& session_keyspace) {
  auto info = protocol::cql::classify(text);
  if (!info || info->table.empty()) {
    return {};
  }
  return (info->keyspace.empty() ? session_keyspace : info->keyspace) + "." + info->table;
}

}  // namespace

std::optional<journal_record> client_session::journal_record_for(const mirror_legs& legs,
                                                                 cluster secondary_c) const {
  // The primary's copy: the secondary may not even know the statement (it was down when it was
  // prepared), and the replayer prepares every statement again from its text anyway.
  auto body = legs.build(other_cluster(secondary_c));
  if (!body) {
    return std::nullopt;
  }
  auto offset = protocol::message_offset(legs.request, *body);
  if (!offset) {
    return std::nullopt;
  }
  journal_record r;
  r.to_source = secondary_c == cluster::source;
  r.version = version_;
  r.op = legs.request.op;
  r.keyspace = keyspace_;
  r.replay_safe = legs.what.cls == request_class::write;
  r.message.assign(body->begin() + static_cast<std::ptrdiff_t>(*offset), body->end());
  const auto add = [&](const prepared_id_map::entry_ptr& e) {
    if (e) {
      r.statements.push_back({e->keyspace.value_or(""), e->prepared_query});
    }
  };
  if (legs.what.prepared) {
    add(legs.what.prepared);
    r.table = table_of(legs.what.prepared->query, keyspace_);
  } else if (legs.request.op == protocol::opcode::query) {
    r.table = table_of(legs.what.text, keyspace_);
  }
  for (const auto& e : legs.what.batch_statements) {
    add(e);
  }
  return r;
}

// The record of a write the primary applied and the secondary has not confirmed, given to the
// journal; it is synced with the next group commit, and settle() answers the client then.
void client_session::append_record(const std::shared_ptr<mirror_legs>& legs, cluster secondary_c) {
  auto& j = ctx_->journal;
  auto record = journal_record_for(*legs, secondary_c);
  std::weak_ptr<client_session> weak = shared_from_this();
  auto ex = stream_.get_executor();
  auto seq = record ? j->append(std::move(*record),
                                [weak, legs, ex](bool ok) {
                                  asio::post(ex, [weak, legs, ok] {
                                    legs->durable = ok;
                                    if (auto self = weak.lock()) {
                                      self->settle(legs);
                                    }
                                  });
                                })
                    : std::nullopt;
  if (seq) {
    legs->journal_seq = seq;
    if (legs->secondary) {
      j->replay(*seq);  // it failed already
    }
    return;
  }
  legs->journal_refused = true;
  legs->journal_problem = record ? "journal.max_bytes reached" : "the request could not be recorded";
  if (ctx_->cfg.journal.on_full == journal_full_policy::record_gap) {
    bump(ctx_->stats.local().journal_gap_writes);
    const auto now = client::write_clock::system_now_us();
    std::int64_t none = 0;
    ctx_->journal_gap_first_us.compare_exchange_strong(none, now);
    ctx_->journal_gap_last_us.store(now);
  }
}

// The primary answered. A write it applied goes to the journal unless the secondary has it, but
// not at once: the secondary usually answers within one group commit's time (journal.
// sync_interval), and a write it confirms in that time needs no record at all — the common case
// costs no encoding, no copy and no wake of the journal's writer. The client's answer waits the
// same either way (for the secondary, or for the record to be durable). One timer per session
// serves every waiting write; the secondary's leg keeps the session alive until it answers.
void client_session::primary_answered(const std::shared_ptr<mirror_legs>& legs,
                                      cluster secondary_c) {
  const bool needs_record = ctx_->journal && applied(*legs->primary_result) &&
                            !(legs->secondary && secondary_has_it(*legs->secondary));
  if (needs_record && legs->secondary) {
    append_record(legs, secondary_c);  // the secondary failed already
  } else if (needs_record) {
    legs->awaiting_record = true;
    legs->record_for = secondary_c;
    const auto due = std::chrono::steady_clock::now() + ctx_->cfg.journal.sync_interval;
    awaiting_record_.emplace_back(due, legs);
    if (!record_timer_armed_) {
      arm_record_timer();
    }
  }
  settle(legs);
}

// The timer ran out: every waiting write whose interval is over and whose secondary is still
// silent gets its record now; the timer is armed again for the next one.
void client_session::record_overdue_writes() {
  const auto now = std::chrono::steady_clock::now();
  while (!awaiting_record_.empty() && awaiting_record_.front().first <= now) {
    auto legs = std::move(awaiting_record_.front().second);
    awaiting_record_.pop_front();
    if (legs->awaiting_record) {
      legs->awaiting_record = false;
      append_record(legs, legs->record_for);
      settle(legs);
    }
  }
  record_timer_armed_ = false;
  if (!awaiting_record_.empty()) {
    arm_record_timer();
  }
}

// The timer for the first waiting write's deadline.
void client_session::arm_record_timer() {
  record_timer_armed_ = true;
  record_timer_.expires_at(awaiting_record_.front().first);
  std::weak_ptr<client_session> weak = shared_from_this();
  record_timer_.async_wait([weak](const boost::system::error_code&) {
    if (auto self = weak.lock()) {
      self->record_overdue_writes();
    }
  });
}

void client_session::secondary_answered(const std::shared_ptr<mirror_legs>& legs) {
  if (legs->awaiting_record) {
    legs->awaiting_record = false;  // its place in awaiting_record_ is skipped when due
    if (!secondary_has_it(*legs->secondary)) {
      append_record(legs, legs->record_for);  // now, so the failure is judged as journaled
    }
  } else if (legs->journal_seq) {
    if (secondary_has_it(*legs->secondary)) {
      ctx_->journal->confirm(*legs->journal_seq);
    } else {
      ctx_->journal->replay(*legs->journal_seq);
    }
  }
  settle(legs);
}

// Answers the client once it may be: at once for a write the primary did not apply (its error
// is the answer) or without a journal; otherwise when the secondary has the write or the
// journal holds it. When neither can (the secondary failed and the journal is full or its
// disk failed) the client gets an error, unless journal.on_full is record_gap.
void client_session::settle(const std::shared_ptr<mirror_legs>& legs) {
  if (legs->answered || !legs->primary_result) {
    return;
  }
  const auto& p = *legs->primary_result;
  const bool answer = !applied(p) || !ctx_->journal ||
                      (legs->secondary && secondary_has_it(*legs->secondary)) ||
                      legs->durable.value_or(false) ||
                      (legs->journal_refused &&
                       ctx_->cfg.journal.on_full == journal_full_policy::record_gap);
  if (answer) {
    legs->answered = true;
    p.ok() ? reply(legs->request, p.frame) : reply_call_failure(legs->request, p);
    legs->primary_result.reset();
    return;
  }
  const bool journal_failed = legs->journal_refused || legs->durable == false;
  if (journal_failed && legs->secondary) {
    legs->answered = true;
    bump(ctx_->stats.local().journal_write_errors);
    reply_error(legs->request, static_cast<std::int32_t>(protocol::error_code::server_error),
                std::string("tandem proxy: the source applied the write but the ") +
                    cluster_name(other_cluster(ctx_->routing().primary)) +
                    " did not, and the journal could not keep it (" +
                    (legs->journal_refused ? legs->journal_problem : std::string("disk error")) +
                    "): retry the write");
    legs->primary_result.reset();
  }
}

}  // namespace tandem::proxy
