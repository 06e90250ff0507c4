// The two legs of one mirrored request whose client answer does not wait for the secondary as
// such (source_authoritative writes): shared by session_calls.cpp (the legs) and
// session_journal.cpp (when the client may be answered, and the journal record). Both legs run
// on the session's thread, so nothing here is locked.
#pragma once

#include "client/cluster_connection.hpp"
#include "protocol/frame.hpp"
#include "proxy/client_session.hpp"
#include "proxy/execute_parts.hpp"
#include "proxy/request_helpers.hpp"
#include "proxy/routing.hpp"

#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
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

struct mirror_legs;

// One leg's answer taken without a coroutine (client_session::mirror_now): the connection calls
// it with the answer; it hands the answer to the session, letting go of the legs' reference
// to themselves that kept them alive while the call was out.
struct leg_answer final : client::answer_callback {
  mirror_legs* legs = nullptr;
  bool primary = true;
  void on_answer(client::call_result&& r) override;
  void on_dropped() noexcept override;
};

// Whichever leg finishes second judges the pair (merge); a secondary that met UNPREPARED waits
// for the primary's answer before preparing again, so that a request the client will send
// again after preparing it is not applied twice on the secondary. With the journal on, the
// client's answer waits until the secondary confirmed the write or the journal holds it
// (client_session::settle).
struct mirror_legs {
  protocol::frame_header request;
  // mirror_now's EXECUTE, kept here so that `build` (pointing at it) needs no block of its
  // own; empty for the coroutine path's requests, whose `build` owns what it needs.
  execute_parts parts;
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

  cluster primary_c = cluster::source;
  cluster secondary_c = cluster::target;
  ack_mode mode = ack_mode::source_authoritative;
  // Set when the request came from the read loop straight into mirror_now: the primary's leg
  // then ends the request (client_session::request_done) since no coroutine waits for it.
  std::optional<std::chrono::steady_clock::time_point> begin;
  // mirror_now's legs: the session (the legs outlive any coroutine of it), each leg's callback,
  // the legs' own reference held while that leg's call is out, and the replica it went to.
  std::shared_ptr<client_session> session;
  std::array<leg_answer, 2> callbacks;
  std::array<std::shared_ptr<mirror_legs>, 2> out;
  std::array<std::shared_ptr<client::cluster_connection>, 2> replica;
  std::array<bool, 2> sent_at_begin{};  // the leg went out by call_then, stamped `begin`
};

// Index of a leg in mirror_legs' arrays.
inline std::size_t leg_index(bool primary) { return primary ? 0 : 1; }

}  // namespace tandem::proxy
