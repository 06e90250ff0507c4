// One client connection and the two cluster connections it owns (DESIGN.md "The proxy"). All
// three live on one worker thread, so nothing here takes a lock; shared state (prepared ids,
// the routing choice, counters) lives in proxy_context and synchronises itself.
#pragma once

#include "protocol/connection_codec.hpp"
#include "protocol/cql/classifier.hpp"
#include "protocol/messages/query_parameters.hpp"
#include "protocol/request_edit.hpp"
#include "client/cluster_connection.hpp"
#include "client/frame_writer.hpp"
#include "client/wake_signal.hpp"
#include "proxy/execute_parts.hpp"
#include "proxy/journal_record.hpp"
#include "proxy/proxy_context.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/container/deque.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <unordered_map>

namespace tandem::proxy {

namespace asio = boost::asio;

// Time a client has to finish the TLS handshake (proxy.tls) before it is disconnected.
inline constexpr std::chrono::seconds client_tls_handshake_timeout{10};

// Paging states remembered per client connection (a driver rarely has more pages open).
inline constexpr std::size_t max_remembered_paging_states = 256;

// Where token-aware routing sends an EXECUTE (token_routing.cpp): the partition's token, the
// keyspace whose replication places it, and the statement (prepared on a replica's connection
// the first time it goes there).
struct token_route {
  std::int64_t token = 0;
  std::string keyspace;
  prepared_id_map::entry_ptr entry;
};

// What a mirrored write is logged as if a cluster fails it (note_secondary_failure): its
// statement after the timestamp it carried. Kept in parts and formatted only when logged:
// most writes succeed, and formatting it for each one cost an allocation or two per write.
struct write_description {
  std::optional<std::int64_t> timestamp;  // as sent; std::nullopt: the server's
  prepared_id_map::entry_ptr prepared;    // an EXECUTE: its statement's text is prepared->query
  std::string text;                       // otherwise: the statement (a BATCH: a summary)
  request_class cls = request_class::write;  // a counter or LWT is not replayed blindly
  std::vector<prepared_id_map::entry_ptr> batch_statements;  // a BATCH's prepared children
  std::optional<token_route> route;  // a single-partition EXECUTE: a replica on each cluster

  std::string to_string() const;
};

struct mirror_legs;
struct read_call;

// Whether an answer is a RESULT of kind SCHEMA_CHANGE (spec v4 §4.2.5.5).
bool is_schema_change(const client::call_result& r, protocol::protocol_version v);

class client_session : public std::enable_shared_from_this<client_session> {
 public:
  client_session(asio::ip::tcp::socket socket, std::shared_ptr<proxy_context> ctx);
  ~client_session();

  // Serves the client until it disconnects or sends something the proxy cannot parse.
  void start();
  void close(const std::string& why);

 private:
  enum class phase { handshake, authenticating, ready, closing };

  asio::awaitable<bool> accept_tls();
  asio::awaitable<void> read_loop();
  asio::awaitable<void> handle(protocol::owned_frame f);
  static void log_request_exception(const std::string& peer, const std::exception_ptr& e);

  // Handshake (spec v4 §4.1.1, §4.2.3; v5 §2.3.1).
  asio::awaitable<void> handle_startup(protocol::owned_frame f);
  asio::awaitable<void> handle_auth_response(protocol::owned_frame f);
  asio::awaitable<std::string> open_target();
  asio::awaitable<bool> reconnect_target();

  // Node failures (session_failover.cpp, issue 15).
  asio::awaitable<std::string> connect_node(cluster c,
                                            std::shared_ptr<client::cluster_connection>& out);
  void watch_source();
  void source_lost(const std::string& why);
  asio::awaitable<bool> reconnect_source();
  asio::awaitable<std::string> resume_source_session(client::cluster_connection& conn);
  asio::awaitable<void> resubscribe_events(cluster c);
  void listen_for_events(cluster c);
  // After a SCHEMA_CHANGE answer (schema_agreement.cpp).
  asio::awaitable<bool> await_schema_agreement(cluster c);
  asio::awaitable<void> await_schema_agreement_on_both();
  void answer_options(const protocol::frame_header& request);

  // After READY.
  asio::awaitable<void> handle_query(protocol::owned_frame f);
  asio::awaitable<void> handle_prepare(protocol::owned_frame f);
  asio::awaitable<void> handle_execute(protocol::owned_frame f);
  asio::awaitable<void> handle_batch(protocol::owned_frame f);
  asio::awaitable<void> handle_register(protocol::owned_frame f);
  asio::awaitable<void> answer_topology(const protocol::frame_header& request, std::string text,
                                        protocol::query_parameters params);
  asio::awaitable<void> forward_system_local(const protocol::frame_header& request,
                                             std::string text, protocol::query_parameters params);
  // shadow_what: the statement of a read that may be shadowed (maybe_shadow); "" for others.
  asio::awaitable<void> forward_to_primary(protocol::owned_frame f, std::string shadow_what = {});
  bool has_paging_state(const protocol::frame_header& h, protocol::bytes_view body);
  bool refuse_unsupported_version(protocol::bytes_view data);

  // Builds the request body for one cluster (its prepared ids differ).
  using body_builder = std::function<protocol::result<protocol::bytes>(cluster)>;
  body_builder query_to_primary(const std::string& text, protocol::query_parameters params,
                                bool keep_paging) const;
  // Copies the builder and the statement only for a read it samples.
  void maybe_shadow(const protocol::frame_header& request, const body_builder& build,
                    const client::call_result& primary_answer, const std::string& what);
  // maybe_shadow in two steps, for a caller that must make the builder first (read_done): the
  // sample's draw, then the shadow read itself.
  bool shadow_drawn();
  void shadow_read(const protocol::frame_header& request, const body_builder& build,
                   const client::call_result& primary_answer, const std::string& what);

  // Sends both copies; answers the client per the acknowledgement mode.
  asio::awaitable<void> mirror(const protocol::frame_header& request, body_builder build,
                               bool wait_for_secondary, write_description what);

  // ---- A mirrored EXECUTE without coroutines (issue 17, handle_execute.cpp, mirror_now.cpp) ----
  // The common request of a migration — a prepared write, both clusters connected, the client
  // answered without waiting for the secondary — runs on callbacks: no coroutine frame, no
  // co_spawn. Anything else (a read, strict mode, a statement to prepare first, a replica to
  // open, UNPREPARED) takes the coroutine path, from the point where it turned uncommon.
  struct execute_plan {
    execute_parts parts;
    std::optional<std::int64_t> sent_timestamp;
    std::optional<token_route> route;
  };
  // The edits of an EXECUTE for the clusters (the timestamp, added values); moves the frame's
  // body into the plan's parts. std::nullopt: the client got a protocol error.
  // `read_wall_us`: as write_timestamp's.
  std::optional<execute_plan> plan_execute(protocol::owned_frame& f, std::size_t offset,
                                           const prepared_id_map::entry_ptr& entry,
                                           destination dest, std::int64_t* read_wall_us = nullptr);
  // true: the request was taken (it may still end on the coroutine path); false: handle() it.
  // `read_wall_us`: the wall clock of the read that brought it, 0 until a write reads it.
  bool execute_now(protocol::owned_frame& f, std::chrono::steady_clock::time_point begin,
                   std::int64_t& read_wall_us);
  // The body of each cluster's EXECUTE from `parts` (execute_parts.hpp), and builders of it:
  // owning the parts (the coroutine paths) or over parts that live in the request's state.
  protocol::result<protocol::bytes> execute_body(cluster c, execute_parts& parts);
  body_builder builder_owning(execute_parts parts);
  body_builder builder_over(execute_parts& parts);
  void mirror_now(const protocol::frame_header& request, execute_parts parts,
                  write_description what, std::chrono::steady_clock::time_point begin);
  void start_leg(const std::shared_ptr<mirror_legs>& legs, bool primary);
  void spawn_leg(std::shared_ptr<mirror_legs> legs, bool primary,
                 std::shared_ptr<client::cluster_connection> conn, protocol::bytes body);
  // A prepared read the same way (read_now.cpp).
  bool read_now(protocol::owned_frame& f, std::size_t offset,
                const prepared_id_map::entry_ptr& entry,
                std::chrono::steady_clock::time_point begin);
  void spawn_read(std::shared_ptr<read_call> call,
                  std::shared_ptr<client::cluster_connection> conn, protocol::bytes body);
  asio::awaitable<void> finish_read(std::shared_ptr<read_call> call, client::call_result r,
                                    bool called_on);
  void read_done(read_call& call, client::call_result r);

 public:
  // The callbacks of mirror_legs (leg_answer) and of read_call come here.
  void leg_answered(std::shared_ptr<mirror_legs> legs, bool primary, client::call_result r);
  void read_answered(std::shared_ptr<read_call> call, client::call_result r);

 private:
  asio::awaitable<void> finish_leg(std::shared_ptr<mirror_legs> legs, bool primary,
                                   client::call_result r, bool called_on);
  // The end of each leg of a source_authoritative mirrored request, shared by both paths.
  void primary_leg_done(const std::shared_ptr<mirror_legs>& legs, client::call_result r);
  void secondary_leg_done(const std::shared_ptr<mirror_legs>& legs, client::call_result r);
  asio::awaitable<client::call_result> secondary_unprepared(std::shared_ptr<mirror_legs> legs,
                                                            client::call_result r);
  void strict_leg_done(const std::shared_ptr<mirror_legs>& legs, bool primary,
                       client::call_result r);
  void strict_answer(const std::shared_ptr<mirror_legs>& legs, bool from_primary);
  // A request of the read loop is over: its latency, its place among those in flight.
  void request_done(std::chrono::steady_clock::time_point begin);
  void request_done(std::chrono::steady_clock::time_point begin,
                    std::chrono::steady_clock::time_point end);
  // What call_on does when the cluster answers UNPREPARED: pass it to the client (whose
  // driver then prepares again and learns the statement's current metadata: the answer the
  // client gets), or prepare it again and retry (a copy the client never sees).
  enum class on_unprepared : std::uint8_t { answer_client, prepare_again };
  // `route`: send it over a connection to a replica of its partition (token-aware routing).
  // `build` by reference (a copy of a std::function with captures is an allocation, five per
  // mirrored write before issue 17): every caller passes a named builder that outlives the
  // co_await (its own local, a mirror_legs' member, a detached lambda's capture).
  // What call_on does after an UNPREPARED answer from `replica` (nullptr: the client's own
  // connection): prepare on the replica and retry, then as `how` says.
  asio::awaitable<client::call_result> after_unprepared(
      cluster c, protocol::opcode op, std::uint8_t flags, const body_builder& build,
      on_unprepared how, const token_route* route,
      std::shared_ptr<client::cluster_connection> replica, client::call_result r);
  asio::awaitable<client::call_result> call_on(cluster c, protocol::opcode op, std::uint8_t flags,
                                       const body_builder& build,
                                       on_unprepared how = on_unprepared::answer_client,
                                       const token_route* route = nullptr);

  // Token-aware routing (token_routing.cpp, issue 15).
  std::optional<token_route> token_route_for(
      const prepared_id_map::entry_ptr& entry, protocol::bytes_view execute_message,
      const protocol::parameter_locations* scanned = nullptr) const;
  struct replica_choice {
    std::shared_ptr<client::cluster_connection> conn;  // nullptr: the client's own connection
    std::optional<client::cluster_endpoint> to_open;   // set: this replica must be opened first
  };
  replica_choice choose_replica(cluster c, const token_route& route);
  asio::awaitable<std::shared_ptr<client::cluster_connection>> replica_connection(
      cluster c, const token_route& route, replica_choice choice);
  asio::awaitable<std::shared_ptr<client::cluster_connection>> open_replica(
      cluster c, const client::cluster_endpoint& node);
  asio::awaitable<client::call_result> prepare_on(client::cluster_connection& conn,
                                                  const prepared_entry& e);
  asio::awaitable<std::string> start_target_session(client::cluster_connection& conn,
                                                    bool replay_client_auth);
  asio::awaitable<client::call_result> prepare_again_and_retry(cluster c, protocol::opcode op,
                                                               std::uint8_t flags,
                                                               const body_builder& build,
                                                               client::call_result r);
  client::call_result with_client_visible_id(client::call_result r) const;
  // Counts a mirrored request by both answers (merge): a secondary failure, or a request both
  // clusters refused.
  void judge_mirrored(const cluster_answer& primary, const client::call_result& secondary,
                      cluster primary_c, ack_mode mode, const write_description& what,
                      bool journaled);
  // The journal's part of a source_authoritative write (session_journal.cpp).
  void primary_answered(const std::shared_ptr<mirror_legs>& legs, cluster secondary_c);
  void secondary_answered(const std::shared_ptr<mirror_legs>& legs);
  void append_record(const std::shared_ptr<mirror_legs>& legs, cluster secondary_c);
  void record_overdue_writes();
  void arm_record_timer();
  void settle(const std::shared_ptr<mirror_legs>& legs);
  std::optional<journal_record> journal_record_for(const mirror_legs& legs,
                                                   cluster secondary_c) const;
  cluster read_cluster(const protocol::frame_header& h, protocol::bytes_view body);
  void remember_paging(cluster c, const client::call_result& r);
  void count_call(cluster c, protocol::opcode op, const client::call_result& r);
  asio::awaitable<bool> reprepare(cluster c, prepared_id_map::entry_ptr entry);
  protocol::result<protocol::bytes> execute_body_for(
      cluster c, const prepared_entry& e, protocol::bytes_view prefix,
      protocol::bytes_view message, const protocol::parameter_locations* loc) const;
  // `read_wall_us` (execute_now's writes): the wall clock of the read that brought the request,
  // read by the first write that needs it (0 until then); nullptr: the clock is read now.
  std::int64_t write_timestamp(bool pin, std::int64_t* read_wall_us = nullptr);
  // Cluster c's token map (nullptr: none yet), without the context's lock (token_routing.cpp).
  const client::token_map* token_map_of(cluster c);
  void note_mirrored_write(std::optional<std::int64_t> sent);
  std::vector<literal_inputs> literal_inputs_for(std::size_t n, std::optional<std::int64_t> ts);
  protocol::result<protocol::bytes> with_added_values(protocol::bytes_view message,
                                                      const prepared_entry& e,
                                                      std::optional<std::int64_t> ts);
  void note_secondary_failure(cluster c, const client::call_result& r, const write_description& what,
                              bool journaled = false);
  // The client's own connection to c (a reference: the request path copies it only to keep it).
  const std::shared_ptr<client::cluster_connection>& connection(cluster c) const;

  void reply(const protocol::frame_header& request, const protocol::owned_frame& answer);
  void reply_error(const protocol::frame_header& request, std::int32_t code,
                   const std::string& message);
  void protocol_violation(const protocol::frame_header& request, const std::string& message);
  void reply_call_failure(const protocol::frame_header& request, const client::call_result& r);
  void send_raw(protocol::bytes frame);

  client::transport stream_;
  // Which cluster produced each paging state this client holds (read_cluster), oldest first.
  std::unordered_map<std::string, cluster> paging_origin_;
  boost::container::deque<std::string> paging_order_;  // no block until used (frame_writer.hpp)
  std::shared_ptr<proxy_context> ctx_;
  protocol::connection_codec codec_;
  phase phase_ = phase::handshake;
  protocol::protocol_version version_ = protocol::protocol_version::v4;
  protocol::compression_algorithm client_compression_ = protocol::compression_algorithm::none;
  std::shared_ptr<client::cluster_connection> source_;
  std::shared_ptr<client::cluster_connection> target_;
  // Per cluster: connections to other nodes that token-aware routing opened, and the nodes one
  // is being opened to (requests meanwhile use another replica or the client's connection).
  std::array<std::vector<std::pair<client::cluster_endpoint, std::shared_ptr<client::cluster_connection>>>, 2>
      replica_conns_;
  std::array<std::vector<client::cluster_endpoint>, 2> replicas_opening_;
  client::frame_writer writer_;
  bool close_after_write_ = false;
  bool target_auth_pending_ = false;
  bool target_reconnecting_ = false;
  // What the source connection's session was opened with, so that a new connection to another
  // node can be given the same session when the node dies: the client's STARTUP, its
  // AUTH_RESPONSE tokens in order, and its REGISTER (events come from the primary).
  protocol::bytes source_startup_body_;
  std::vector<protocol::bytes> source_auth_bodies_;
  std::optional<protocol::bytes> register_body_;
  bool source_reconnecting_ = false;
  std::chrono::steady_clock::time_point next_target_attempt_{};
  std::size_t in_flight_ = 0;
  client::wake_signal slot_freed_;
  prepared_lookup_cache prepared_cache_;  // EXECUTE's entries without the map's lock
  // Writes the primary applied whose secondary has not answered yet, in the order their
  // journal.sync_interval runs out (one interval for all: deadlines ascend), and the one timer
  // that makes their records (session_journal.cpp).
  boost::container::deque<std::pair<std::chrono::steady_clock::time_point, std::shared_ptr<mirror_legs>>>
      awaiting_record_;
  asio::steady_timer record_timer_;
  bool record_timer_armed_ = false;
  std::string peer_;
  std::string keyspace_;  // the USE keyspace, for classification and re-preparation
  std::array<std::shared_ptr<const client::token_map>, 2> token_maps_;
  std::uint64_t token_maps_seen_ = ~std::uint64_t{0};  // ctx_->token_maps_generation of them
};

}  // namespace tandem::proxy
