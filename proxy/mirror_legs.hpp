// The two legs of one mirrored request whose client answer does not wait for the secondary as
// such (source_authoritative writes): shared by session_calls.cpp (the legs) and
// session_journal.cpp (when the client may be answered, and the journal record). Both legs run
// on the session's thread, so nothing here is locked.
#pragma once

#include "client/cluster_connection.hpp"
#include "protocol/frame.hpp"
#include "proxy/client_session.hpp"
#include "proxy/request_helpers.hpp"
#include "proxy/routing.hpp"

#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <optional>

namespace tandem::proxy {

inline cluster_answer answer_of(const client::call_result& r) {
  if (!r.ok()) {
    return cluster_answer::timeout();
  }
  if (r.frame.header.op == protocol::opcode::error) {
    return cluster_answer::error(error_code_of(r.frame));
  }
  return cluster_answer::success(r.frame.header.op);
}

inline bool is_unprepared(const cluster_answer& a) {
  return !a.ok && !a.timed_out && a.error_code == unprepared_code;
}

// Whichever leg finishes second judges the pair (merge); a secondary that met UNPREPARED waits
// for the primary's answer before preparing again, so that a request the client will send
// again after preparing it is not applied twice on the secondary. With the journal on, the
// client's answer waits until the secondary confirmed the write or the journal holds it
// (client_session::settle).
struct mirror_legs {
  protocol::frame_header request;
  std::function<protocol::result<protocol::bytes>(cluster)> build;
  std::optional<cluster_answer> primary;
  std::optional<client::call_result> primary_result;  // until the client is answered
  std::optional<client::call_result> secondary;
  std::unique_ptr<boost::asio::steady_timer> primary_known;  // only while a secondary waits
  write_description what;  // for the log and the journal record
  // The primary applied the write before the secondary answered: a record is made if the
  // secondary is still silent after journal.sync_interval (session_journal.cpp).
  bool awaiting_record = false;
  cluster record_for = cluster::target;      // the secondary the record is for
  std::optional<std::uint64_t> journal_seq;  // the record, once appended
  std::optional<bool> durable;               // the journal's word on it
  bool journal_refused = false;              // full (journal.max_bytes), or no record
  std::string journal_problem;               // why, for the client's error
  bool answered = false;
};

}  // namespace tandem::proxy
