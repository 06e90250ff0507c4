// tandem-stub-backend's server: one session per client connection on one io_context, each
// answering every request at once from stub_answers (spec v4 §4; v5 segments after READY).
// Answers to the frames of one read go out in one write. Everything lives on one thread.
#pragma once

#include "tools/bench/frame_io.hpp"
#include "tools/bench/frame_socket.hpp"
#include "tools/bench/stub_answers.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

namespace tandem::bench {

namespace asio = boost::asio;

struct stub_settings {
  stub_identity identity;
  std::string user;  // when set, STARTUP gets AUTHENTICATE and SASL PLAIN must match
  std::string password;
  // Fault injection for tests of retries: the next N EXECUTEs of conditional statements
  // (`... IF ...`) answer Write_timeout of write type CAS, as a Paxos round that timed out on a
  // busy node does (spec v4 §9, 0x1100); each one answered so counts it down.
  int conditional_write_timeouts = 0;
};

struct stub_counters {
  std::uint64_t connections = 0;
  std::uint64_t open_connections = 0;
  std::uint64_t writes = 0;  // INSERT/UPDATE/DELETE by QUERY or EXECUTE, and BATCH
  std::uint64_t reads = 0;   // SELECT by QUERY or EXECUTE
  std::array<std::uint64_t, 17> by_opcode{};

  std::string json() const;
};

struct id_hash {
  std::size_t operator()(const std::array<std::byte, 16>& id) const noexcept;
};

// A prepared statement's text and its answers in each protocol version (the id is the same
// in every version, as Cassandra's; the encodings differ, spec v5 §4.2.5.4).
struct stub_prepared {
  std::string text;
  std::string keyspace;
  std::array<std::optional<stub_statement>, 3> by_version;  // v3, v4, v5

  const stub_statement& in(protocol::protocol_version v, const stub_identity& who);
};

// State every session of the process shares (on its one thread).
struct stub_state {
  stub_settings settings;
  stub_counters counters;
  std::unordered_map<std::array<std::byte, 16>, stub_prepared, id_hash> prepared;
};

class stub_session : public std::enable_shared_from_this<stub_session> {
 public:
  stub_session(asio::ip::tcp::socket socket, stub_state& state);
  ~stub_session();
  void start();

 private:
  enum class phase { handshake, authenticating, ready };

  asio::awaitable<void> read_loop();
  asio::awaitable<void> write_loop();
  // false: the connection must close once the answers queued so far are written.
  bool handle(const frame_in& f);
  bool handle_startup(const frame_in& f);
  bool handle_auth_response(const frame_in& f);
  void handle_query(const frame_in& f, protocol::bytes_view body);
  void handle_prepare(const frame_in& f, protocol::bytes_view body);
  void handle_execute(const frame_in& f, protocol::bytes_view body);
  void answer(const frame_in& request, protocol::opcode op, protocol::bytes_view body);
  void answer_error(const frame_in& request, std::int32_t code, const std::string& message);
  void answer_supported(const frame_in& request);
  bool refuse_version(protocol::bytes_view data);

  frame_socket wire_;
  stub_state& state_;
  bool closing_ = false;
  phase phase_ = phase::handshake;
  protocol::protocol_version version_ = protocol::protocol_version::v4;
  std::string keyspace_;
};

}  // namespace tandem::bench
