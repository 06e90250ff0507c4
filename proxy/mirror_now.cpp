// A mirrored data write on callbacks (issue 17): the two cluster calls go out with
// cluster_connection::call_then and their answers come back to leg_answer, so the common
// mirrored write costs no coroutine frame and no co_spawn (they were two thirds of its heap
// allocations). The legs end exactly as mirror()'s coroutine legs do (primary_leg_done,
// secondary_leg_done in session_calls.cpp; in strict mode strict_leg_done here, as mirror()'s
// strict path); what is uncommon — a replica connection to open, every stream id taken, an
// UNPREPARED answer — continues as a coroutine from that point.
#include "proxy/client_session.hpp"
#include "proxy/mirror_legs.hpp"
#include "proxy/recycled_allocator.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

namespace tandem::proxy {

void leg_answer::on_answer(client::call_result&& r) {
  // Taken from the legs before the call: the session may let go of them meanwhile.
  auto self = std::move(legs->out[leg_index(primary)]);
  auto session = self->session;
  session->leg_answered(std::move(self), primary, std::move(r));
}

void leg_answer::on_dropped() noexcept {
  // The io_context is going away with the call out: no answer will come. Letting go may
  // destroy the legs, and this with them: nothing is touched after.
  auto self = std::move(legs->out[leg_index(primary)]);
}

void client_session::mirror_now(const protocol::frame_header& request, execute_parts parts,
                                write_description what,
                                std::chrono::steady_clock::time_point begin) {
  const auto mode = ctx_->write_ack();
  if (mode != ack_mode::strict) {
    // The secondary's copy counts as in flight until it is answered, as in mirror(). In
    // strict mode the client's request itself waits for it.
    ++in_flight_;
    ctx_->requests_in_flight.add(1);
  }
  // From the thread's recycled blocks: in the steady state a write reuses an answered one's.
  auto legs = std::allocate_shared<mirror_legs>(recycled_allocator<mirror_legs>{});
  legs->request = request;
  // The parts live in the legs (one block for both) and the builder points at them: every
  // caller of legs->build holds the legs (mirror_legs.hpp).
  legs->parts = std::move(parts);
  legs->build = builder_over(legs->parts);
  legs->what = std::move(what);
  legs->primary_c = ctx_->routing().primary;
  legs->secondary_c = other_cluster(legs->primary_c);
  legs->mode = mode;
  legs->begin = begin;
  legs->session = shared_from_this();
  for (const bool primary : {true, false}) {
    legs->callbacks[leg_index(primary)].legs = legs.get();
    legs->callbacks[leg_index(primary)].primary = primary;
  }
  // The primary first: the client's answer waits for it.
  start_leg(legs, true);
  start_leg(legs, false);
}

// One leg's call, sent now when its connection is ready (the client's own, or a replica's
// already open); otherwise the leg continues as a coroutine.
void client_session::start_leg(const std::shared_ptr<mirror_legs>& legs, bool primary) {
  const cluster c = primary ? legs->primary_c : legs->secondary_c;
  const auto i = leg_index(primary);
  if (legs->what.route) {
    auto choice = choose_replica(c, *legs->what.route);
    if (choice.to_open) {
      spawn_leg(legs, primary, nullptr, {});  // call_on opens it (and chooses again)
      return;
    }
    legs->replica[i] = std::move(choice.conn);
  }
  // Not copied: the session holds its own connection, the legs the replica's.
  const auto& conn = legs->replica[i] ? legs->replica[i] : connection(c);
  if (!conn) {
    spawn_leg(legs, primary, nullptr, {});  // call_on reconnects, or says why it cannot
    return;
  }
  auto body = legs->build(c);
  if (!body) {
    // As call_on answers it: not sent, not counted.
    leg_answered(legs, primary,
                 client::call_result{client::call_failure::protocol,
                                     "cannot rewrite the request: " + body.error().message(), {}});
    return;
  }
  legs->out[i] = legs;
  // Sent at the read that brought the request (legs->begin): no clock read per call.
  if (!conn->call_then(legs->request.op, *body, legs->request.flags, legs->callbacks[i],
                       *legs->begin)) {
    legs->out[i].reset();
    spawn_leg(legs, primary, conn, std::move(*body));  // waits for a stream id
    return;
  }
  legs->sent_at_begin[i] = true;
  protocol::buffer_pool::give_back(std::move(*body));
}

// A leg that cannot go out at once. With `conn`: its body is built and the connection chosen,
// so it is sent there once a stream id is free; without: call_on does it all.
void client_session::spawn_leg(std::shared_ptr<mirror_legs> legs, bool primary,
                               std::shared_ptr<client::cluster_connection> conn,
                               protocol::bytes body) {
  asio::co_spawn(
      stream_.get_executor(),
      [self = shared_from_this(), legs = std::move(legs), primary, conn = std::move(conn),
       body = std::move(body)]() mutable -> asio::awaitable<void> {
        const cluster c = primary ? legs->primary_c : legs->secondary_c;
        const auto op = legs->request.op;
        client::call_result r;
        if (conn) {
          r = co_await conn->call(op, std::move(body), legs->request.flags);
          self->count_call(c, op, r);
        } else {
          const token_route* route = legs->what.route ? &*legs->what.route : nullptr;
          r = co_await self->call_on(c, op, legs->request.flags, legs->build,
                                     on_unprepared::answer_client, route);
        }
        // call_on has handled UNPREPARED as far as a call does; the leg's own part remains.
        co_await self->finish_leg(std::move(legs), primary, std::move(r), !conn);
      },
      asio::detached);
}

// A leg's answer from its connection (leg_answer), or a build that failed.
void client_session::leg_answered(std::shared_ptr<mirror_legs> legs, bool primary,
                                  client::call_result r) {
  if (r.failure != client::call_failure::protocol) {
    count_call(primary ? legs->primary_c : legs->secondary_c, legs->request.op, r);
  }
  if (is_unprepared(answer_of(r))) {
    asio::co_spawn(
        stream_.get_executor(),
        [self = shared_from_this(), legs = std::move(legs), primary,
         r = std::move(r)]() mutable -> asio::awaitable<void> {
          co_await self->finish_leg(std::move(legs), primary, std::move(r), false);
        },
        asio::detached);
    return;
  }
  primary ? primary_leg_done(legs, std::move(r)) : secondary_leg_done(legs, std::move(r));
}

// The end of a leg on the coroutine path: UNPREPARED handled as call_on and mirror() handle it
// (prepared on the replica and retried; the secondary's after the primary is known).
// `called_on`: the answer came through call_on, which did the call's part already.
asio::awaitable<void> client_session::finish_leg(std::shared_ptr<mirror_legs> legs, bool primary,
                                                 client::call_result r, bool called_on) {
  const cluster c = primary ? legs->primary_c : legs->secondary_c;
  legs->sent_at_begin[leg_index(primary)] = false;  // a retry's latency no longer counts from begin
  if (!called_on && is_unprepared(answer_of(r))) {
    const token_route* route = legs->what.route ? &*legs->what.route : nullptr;
    r = co_await after_unprepared(c, legs->request.op, legs->request.flags, legs->build,
                                  on_unprepared::answer_client, route,
                                  legs->replica[leg_index(primary)], std::move(r));
  }
  if (!primary && is_unprepared(answer_of(r))) {
    r = co_await secondary_unprepared(legs, std::move(r));
  }
  primary ? primary_leg_done(legs, std::move(r)) : secondary_leg_done(legs, std::move(r));
}

// write_ack: strict (a data write; schema changes take mirror()'s coroutine): the client's
// answer waits for both legs and is the one merge() chooses, as mirror()'s strict path answers.
void client_session::strict_leg_done(const std::shared_ptr<mirror_legs>& legs, bool primary,
                                     client::call_result r) {
  if (primary) {
    legs->primary = answer_of(r);
    legs->primary_result = std::move(r);
    if (legs->primary_known) {
      legs->primary_known->cancel();  // a secondary's UNPREPARED waits for this answer
    }
  } else {
    legs->secondary = std::move(r);
  }
  if (!legs->primary_result || !legs->secondary) {
    return;
  }
  const auto& p = *legs->primary_result;
  const auto& s = *legs->secondary;
  const auto d = merge(answer_of(p), answer_of(s), ack_mode::strict, legs->primary_c);
  if (d.count_target_failure) {
    note_secondary_failure(d.failed_cluster, d.failed_cluster == legs->primary_c ? p : s,
                           legs->what);
  }
  if (d.rejected_code) {
    ctx_->mirrored_rejected.count_code(legs->primary_c, *d.rejected_code);
  }
  const bool from_primary = d.answer_from == merged_choice::primary;
  if (is_schema_change(p, version_) || is_schema_change(s, version_)) {
    asio::co_spawn(
        stream_.get_executor(),
        [self = shared_from_this(), legs, from_primary]() -> asio::awaitable<void> {
          co_await self->await_schema_agreement_on_both();
          self->strict_answer(legs, from_primary);
        },
        asio::detached);
    return;
  }
  strict_answer(legs, from_primary);
}

void client_session::strict_answer(const std::shared_ptr<mirror_legs>& legs, bool from_primary) {
  const auto& chosen = from_primary ? *legs->primary_result : *legs->secondary;
  chosen.ok() ? reply(legs->request, chosen.frame) : reply_call_failure(legs->request, chosen);
  if (legs->begin) {
    request_done(*legs->begin);
  }
  legs->session.reset();  // both legs over; the caller holds the session for the rest
}

}  // namespace tandem::proxy
