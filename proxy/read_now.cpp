// A prepared read on a callback (issue 17): the EXECUTE goes to the cluster that serves it with
// cluster_connection::call_then and its answer comes back to read_call, so a read costs no
// coroutine frame and no co_spawn, as a mirrored write does (mirror_now.cpp). What is uncommon
// — a replica connection to open, every stream id taken, an UNPREPARED answer — continues as a
// coroutine; every read ends in read_done(), as handle_execute's read path ends.
#include "proxy/client_session.hpp"
#include "proxy/mirror_legs.hpp"
#include "proxy/recycled_allocator.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

namespace tandem::proxy {

// One read on its way: the request, its EXECUTE, its builder and where it went. Held by the
// session's callback path; `out` keeps it alive while its call is out. `build` points at
// `parts` (no block of its own); every copy of it lives no longer than the call, except a
// shadow read's, which gets a builder owning a copy of the parts (read_done).
struct read_call final : client::answer_callback {
  std::shared_ptr<client_session> session;
  std::shared_ptr<read_call> out;
  protocol::frame_header request;
  execute_parts parts;
  std::function<protocol::result<protocol::bytes>(cluster)> build;
  prepared_id_map::entry_ptr entry;
  std::optional<token_route> route;
  std::shared_ptr<client::cluster_connection> replica;  // the replica it went to, if any
  cluster c = cluster::source;
  bool continued = false;  // a page after the first, or on the cluster of an earlier page
  bool sent_at_begin = false;
  std::chrono::steady_clock::time_point begin;

  void on_answer(client::call_result&& r) override {
    auto self = std::move(out);
    auto s = self->session;
    s->read_answered(std::move(self), std::move(r));
  }
  void on_dropped() noexcept override { auto self = std::move(out); }
};

// Taken when both clusters are connected and the statement is prepared on both (so the
// cluster read_cluster picks is ready); otherwise handle() does it.
bool client_session::read_now(protocol::owned_frame& f, std::size_t offset,
                              const prepared_id_map::entry_ptr& entry,
                              std::chrono::steady_clock::time_point begin) {
  auto call = std::allocate_shared<read_call>(recycled_allocator<read_call>{});
  call->c = read_cluster(f.header, f.body);
  // Only a read that may be shadowed needs to know whether it continues another.
  if (entry->cls == request_class::read &&
      ctx_->shadow_sample.load(std::memory_order_relaxed) > 0.0) {
    call->continued = call->c != ctx_->routing().primary || has_paging_state(f.header, f.body);
  }
  auto plan = plan_execute(f, offset, entry, destination::primary_only);
  if (!plan) {
    request_done(begin);  // the client got its protocol error
    return true;
  }
  call->session = shared_from_this();
  call->request = f.header;
  call->parts = std::move(plan->parts);
  call->build = builder_over(call->parts);
  call->entry = entry;
  call->route = std::move(plan->route);
  call->begin = begin;
  if (call->route) {
    auto choice = choose_replica(call->c, *call->route);
    if (choice.to_open) {
      spawn_read(std::move(call), nullptr, {});  // call_on opens it (and chooses again)
      return true;
    }
    call->replica = std::move(choice.conn);
  }
  const auto& conn = call->replica ? call->replica : connection(call->c);
  auto body = call->build(call->c);
  if (!body) {
    read_done(*call, client::call_result{client::call_failure::protocol,
                                         "cannot rewrite the request: " + body.error().message(),
                                         {}});
    return true;
  }
  call->out = call;
  if (!conn->call_then(protocol::opcode::execute, *body, f.header.flags, *call, begin)) {
    call->out.reset();
    auto keep = conn;
    spawn_read(std::move(call), std::move(keep), std::move(*body));  // waits for a stream id
    return true;
  }
  call->sent_at_begin = true;
  protocol::buffer_pool::give_back(std::move(*body));
  return true;
}

// A read that cannot go out at once: with `conn`, its body is built and the connection chosen;
// without, call_on does it all.
void client_session::spawn_read(std::shared_ptr<read_call> call,
                                std::shared_ptr<client::cluster_connection> conn,
                                protocol::bytes body) {
  asio::co_spawn(
      stream_.get_executor(),
      [self = shared_from_this(), call = std::move(call), conn = std::move(conn),
       body = std::move(body)]() mutable -> asio::awaitable<void> {
        client::call_result r;
        if (conn) {
          r = co_await conn->call(protocol::opcode::execute, std::move(body), call->request.flags);
          self->count_call(call->c, protocol::opcode::execute, r);
        } else {
          const token_route* route = call->route ? &*call->route : nullptr;
          r = co_await self->call_on(call->c, protocol::opcode::execute, call->request.flags, call->build,
                                     on_unprepared::answer_client, route);
        }
        co_await self->finish_read(std::move(call), std::move(r), !conn);
      },
      asio::detached);
}

void client_session::read_answered(std::shared_ptr<read_call> call, client::call_result r) {
  count_call(call->c, protocol::opcode::execute, r);
  if (is_unprepared(answer_of(r))) {
    asio::co_spawn(
        stream_.get_executor(),
        [self = shared_from_this(), call = std::move(call),
         r = std::move(r)]() mutable -> asio::awaitable<void> {
          co_await self->finish_read(std::move(call), std::move(r), false);
        },
        asio::detached);
    return;
  }
  read_done(*call, std::move(r));
}

// `called_on`: the answer came through call_on, which handled UNPREPARED already.
asio::awaitable<void> client_session::finish_read(std::shared_ptr<read_call> call,
                                                  client::call_result r, bool called_on) {
  call->sent_at_begin = false;  // a retry's latency no longer counts from begin
  if (!called_on && is_unprepared(answer_of(r))) {
    const token_route* route = call->route ? &*call->route : nullptr;
    r = co_await after_unprepared(call->c, protocol::opcode::execute, call->request.flags, call->build,
                                  on_unprepared::answer_client, route, call->replica,
                                  std::move(r));
  }
  read_done(*call, std::move(r));
}

// As handle_execute's read path ends: the paging state's cluster noted, the client answered,
// a first page perhaps shadowed on the other cluster.
void client_session::read_done(read_call& call, client::call_result r) {
  remember_paging(call.c, r);
  r.ok() ? reply(call.request, r.frame) : reply_call_failure(call.request, r);
  if (call.entry->cls == request_class::read && !call.continued && r.ok() && shadow_drawn()) {
    // The shadow read may outlive the call: its builder owns a copy of the parts, made only
    // for a read the sample drew.
    shadow_read(call.request, builder_owning(call.parts), r, call.entry->query);
  }
  request_done(call.begin, call.sent_at_begin ? call.begin + r.latency
                                              : std::chrono::steady_clock::now());
  call.session.reset();  // the caller holds the session for the rest of this call
}

}  // namespace tandem::proxy
