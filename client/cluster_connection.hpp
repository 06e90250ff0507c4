// One connection from the proxy to one Cassandra node. Requests from any coroutine on the
// connection's thread draw a stream id from the connection's own pool (the client's stream
// ids are never sent to a cluster), wait for the matching answer with a timeout, and get an
// error value (never silence) when the node is slow or gone. Events (stream -1, spec v4 §4.2.6)
// go to a callback.
#pragma once

#include "protocol/connection_codec.hpp"
#include "client/frame_writer.hpp"
#include "client/transport.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tandem::client {

namespace asio = boost::asio;

struct cluster_endpoint {
  std::string host;
  std::uint16_t port = 9042;

  friend bool operator==(const cluster_endpoint&, const cluster_endpoint&) = default;
};

struct cluster_connection_settings {
  cluster_endpoint endpoint;
  std::string name;  // "source" or "target": for messages
  protocol::protocol_version version = protocol::protocol_version::v4;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{10000};
  protocol::frame_limits limits;
  std::size_t max_in_flight = 1024;
  // An idle connection sends OPTIONS this often; one that goes unanswered closes the
  // connection, so a half-dead node is noticed before a client request waits on it.
  std::chrono::milliseconds heartbeat_interval{30000};
  // TLS (nullptr: plain TCP). The server's certificate is checked against `server_name` (empty:
  // the endpoint's host, a name or an IP address) unless verify_hostname is false; the chain
  // is always checked against the context's trust anchors.
  std::shared_ptr<asio::ssl::context> tls;
  bool verify_hostname = true;
  std::string server_name;
};

// What went wrong with a request, for the client's error answer and the metrics.
enum class call_failure { none, timed_out, disconnected, overloaded, protocol };

struct call_result {
  call_failure failure = call_failure::none;
  std::string detail;
  protocol::owned_frame frame;  // valid when failure == none
  // From the request's hand-over to the connection to the read that brought its answer (or to
  // its timeout): measured by the connection, so a caller needs no clock of its own.
  std::chrono::steady_clock::duration latency{};

  bool ok() const noexcept { return failure == call_failure::none; }
};

// Who takes the answer of a call_then(): an object of the caller's that outlives the call.
// Exactly one of the two is called, once: on_answer with the answer or the call's failure (a
// timeout, the connection closing), or on_dropped when the connection's io_context is
// destroyed with the call still waiting (nothing will answer; let go of what it holds).
class answer_callback {
 public:
  virtual void on_answer(call_result&& r) = 0;
  virtual void on_dropped() noexcept = 0;

 protected:
  ~answer_callback() = default;
};

class cluster_connection : public std::enable_shared_from_this<cluster_connection> {
 public:
  cluster_connection(asio::any_io_executor ex, cluster_connection_settings s);
  ~cluster_connection();

  const cluster_connection_settings& settings() const noexcept { return settings_; }
  bool is_open() const noexcept { return open_; }
  std::size_t in_flight() const noexcept { return calls_in_flight_; }

  // Opens the TCP connection and starts reading. Returns an empty string or what failed.
  asio::awaitable<std::string> connect();

  // Sends one request and waits for its answer. `flags` are the request's frame flags
  // (tracing, custom payload); compression is applied by the connection.
  asio::awaitable<call_result> call(protocol::opcode op, protocol::bytes body,
                                    std::uint8_t flags = 0);
  // The same without a coroutine (issue 17: a mirrored write's two cluster calls cost no frame):
  // sends now and returns true, and `cb` gets the answer later — inline after the read that
  // brought it, or from the executor's queue for a timeout or a close — never from inside this
  // call. Returns false, having sent nothing, when the connection is closed or every stream id
  // is taken: the caller then uses call(), which waits for an id.
  // `sent_at`: the caller's reading of the clock for this moment (the latency and the timeout
  // count from it), so a burst of calls made at once reads the clock once.
  bool call_then(protocol::opcode op, protocol::bytes_view body, std::uint8_t flags,
                 answer_callback& cb, std::chrono::steady_clock::time_point sent_at);

  // After READY/AUTHENTICATE: switches to the agreed framing (v5 segments, compression).
  void begin_framing(protocol::compression_algorithm c) { codec_.begin_framing(settings_.version, c); }

  void on_event(std::function<void(protocol::owned_frame)> f) { on_event_ = std::move(f); }
  void on_closed(std::function<void(const std::string&)> f) { on_closed_ = std::move(f); }

  void close(const std::string& why);

  // Closes once no request is outstanding, or after request_timeout at the latest: a client
  // that leaves right after its answer must not cut off the mirrored write still on its way
  // to the other cluster.
  void close_when_idle(const std::string& why);

 private:
  // One stream id's request. The request is sent when call() is called and its caller awaits
  // the answer right after (answer_to), so an answer can, in principle, come first: it is then
  // kept (`early`) until the caller awaits it. A call that timed out keeps its id (`abandoned`)
  // until the late answer arrives, so that answer is never taken for another request's.
  enum class slot_state : std::uint8_t { free, sent, waiting, early, abandoned };
  struct call_slot {
    // While `waiting`: the caller's coroutine (call) or its callback (call_then).
    asio::any_completion_handler<void(call_result)> waiter;
    answer_callback* callback = nullptr;
    std::chrono::steady_clock::time_point sent{};
    slot_state state = slot_state::free;
  };

  asio::awaitable<std::string> tls_handshake();
  asio::awaitable<void> read_loop();
  void arm_heartbeat();
  asio::awaitable<call_result> call_when_a_stream_is_free(protocol::opcode op, protocol::bytes body,
                                                          std::uint8_t flags);
  asio::awaitable<call_result> send_call(std::int16_t id, protocol::opcode op,
                                         protocol::bytes_view body, std::uint8_t flags);
  asio::awaitable<call_result> answer_to(std::int16_t id);
  void send_request(std::int16_t id, protocol::opcode op, protocol::bytes_view body,
                    std::uint8_t flags);
  void send(protocol::bytes frame);
  void fail_all(const std::string& why);
  void drop_waiters() noexcept;
  void complete(call_slot& slot, call_result r);
  void post_answer(asio::any_completion_handler<void(call_result)> waiter, call_result r);
  void hand_over_answers();
  void release_stream(std::int16_t id);
  void watch_timeouts();
  void expire_calls();
  std::optional<std::int16_t> acquire_stream();

  asio::any_io_executor executor_;
  cluster_connection_settings settings_;
  transport stream_;
  protocol::connection_codec codec_;
  bool open_ = false;
  frame_writer writer_;
  // The stream table grows with use, up to stream_capacity_ ids: an idle connection (most of
  // them, with 1,000 clients) must not pay for max_in_flight slots up front (issue 7).
  std::vector<call_slot> calls_;             // index = stream id; size = ids ever used
  std::vector<std::int16_t> free_streams_;  // ids used before and free again
  std::size_t stream_capacity_ = 0;         // ids this connection may use
  std::size_t calls_in_flight_ = 0;
  // Answers that came before their caller awaited them (see call_slot), by stream id.
  std::vector<std::pair<std::int16_t, call_result>> early_;
  // The answers of the read being decoded, handed to their callers after its last frame.
  struct answered_call {
    asio::any_completion_handler<void(call_result)> waiter;
    answer_callback* callback = nullptr;  // instead of `waiter`
    call_result result;
  };
  std::vector<answered_call> answered_;
  // One timer for every call's timeout (issue 17: no timer per request): while calls wait, it
  // ticks every request_timeout / 8 and fails those older than request_timeout, so a call
  // times out between 1 and 1.125 request_timeouts after it was sent.
  asio::steady_timer timeout_tick_;
  bool timeout_tick_armed_ = false;
  std::optional<std::string> close_when_idle_;  // set by close_when_idle while calls remain
  asio::steady_timer idle_deadline_;            // close_when_idle's upper bound
  // Calls waiting for a stream id, oldest first; each freed id wakes one.
  boost::container::deque<std::shared_ptr<asio::steady_timer>> stream_waiters_;
  std::chrono::steady_clock::time_point last_read_ = std::chrono::steady_clock::now();
  asio::steady_timer heartbeat_timer_;  // cancelled by close(), so its callback lets go
  std::function<void(protocol::owned_frame)> on_event_;
  std::function<void(const std::string&)> on_closed_;
};

}  // namespace tandem::client
