// The client session's handshake: OPTIONS, STARTUP and SASL authentication
// (spec v4 §4.1.1-§4.1.3, §4.2.2-§4.2.4, §4.2.7-§4.2.8; v5 §2.3.1 for the switch to segments).
//
// The proxy talks to the clusters uncompressed and compresses towards the client itself, so
// the client may ask for any compression the proxy speaks, whatever each cluster offers.
#include "proxy/client_session.hpp"
#include "proxy/request_helpers.hpp"

#include "protocol/messages/error_message.hpp"
#include "protocol/messages/startup.hpp"
#include "protocol/messages/supported.hpp"
#include "protocol/wire_writer.hpp"

#include <spdlog/spdlog.h>

namespace tandem::proxy {

namespace asio = boost::asio;

using protocol::opcode;

namespace {

// SASL PLAIN (RFC 4616): authzid NUL authcid NUL password.
protocol::bytes plain_token(const std::string& user, const std::string& password) {
  protocol::bytes out;
  out.push_back(std::byte{0});
  for (char c : user) out.push_back(static_cast<std::byte>(c));
  out.push_back(std::byte{0});
  for (char c : password) out.push_back(static_cast<std::byte>(c));
  return out;
}

protocol::bytes auth_response_body(const protocol::bytes& token) {
  protocol::wire_writer w;
  w.write_bytes(protocol::bytes_view(token));
  return w.take();
}

}  // namespace

void client_session::answer_options(const protocol::frame_header& request) {
  protocol::supported_message m;
  m.options["CQL_VERSION"] = {"3.4.7"};
  m.options["COMPRESSION"] = {"lz4", "snappy"};
  m.options["PROTOCOL_VERSIONS"] = {"3/v3", "4/v4", "5/v5"};
  const auto v = phase_ == phase::handshake ? request.version : version_;
  protocol::owned_frame answer{{v, true, 0, request.stream, opcode::supported, 0},
                               protocol::encode_supported(m, v)};
  if (phase_ == phase::handshake) {
    version_ = v;
  }
  reply(request, answer);
}

asio::awaitable<void> client_session::handle_startup(protocol::owned_frame f) {
  version_ = f.header.version;
  auto startup = protocol::decode_startup(f.body, version_);
  if (!startup) {
    protocol_violation(f.header, "Invalid STARTUP message: " + startup.error().message());
    co_return;
  }
  auto& options = startup->options;
  client_compression_ = protocol::compression_algorithm::none;
  if (auto it = options.find("COMPRESSION"); it != options.end()) {
    auto c = protocol::parse_compression_algorithm(it->second);
    const bool v5_snappy = c && *c == protocol::compression_algorithm::snappy &&
                           version_ == protocol::protocol_version::v5;
    if (!c || v5_snappy) {
      // spec v5 §2.3.2: only lz4 exists in v5.
      reply_error(f.header, static_cast<std::int32_t>(protocol::error_code::protocol_error),
                  "Unsupported compression " + it->second);
      co_return;
    }
    client_compression_ = *c;
    options.erase(it);
  }
  if (auto err = co_await connect_node(cluster::source, source_); !err.empty()) {
    spdlog::warn("client {}: {}", peer_, err);
    reply_error(f.header, static_cast<std::int32_t>(protocol::error_code::server_error),
                "tandem proxy: cannot reach the source cluster: " + err);
    close_after_write_ = true;
    co_return;
  }
  protocol::bytes startup_body = protocol::encode_startup(*startup, version_);
  source_startup_body_ = startup_body;
  auto answer = co_await source_->call(opcode::startup, std::move(startup_body));
  if (!answer.ok()) {
    reply_call_failure(f.header, answer);
    close_after_write_ = true;
    co_return;
  }
  const auto op = answer.frame.header.op;
  if (op != opcode::ready && op != opcode::authenticate) {
    // The source refused the STARTUP (an ERROR): the client sees exactly that.
    reply(f.header, answer.frame);
    source_->close("startup refused");
    source_.reset();
    co_return;
  }
  source_->begin_framing(protocol::compression_algorithm::none);
  watch_source();
  target_auth_pending_ = false;
  if (auto err = co_await open_target(); !err.empty()) {
    spdlog::warn("client {}: target unavailable, mirrored writes will fail: {}", peer_, err);
  }
  // The answer to STARTUP may itself be compressed in v3/v4, and is unframed in v5.
  if (version_ != protocol::protocol_version::v5) {
    codec_.set_compression(client_compression_);
  }
  reply(f.header, answer.frame);
  codec_.begin_framing(version_, client_compression_);
  phase_ = op == opcode::ready ? phase::ready : phase::authenticating;
}

// Opens the target connection. With auth_mode "configured" it authenticates with the target's
// own credentials; with "client" it waits for the client's AUTH_RESPONSE.
asio::awaitable<std::string> client_session::open_target() {
  if (auto err = co_await connect_node(cluster::target, target_); !err.empty()) {
    co_return err;
  }
  auto conn = target_;  // named: no temporaries in a co_await expression (GCC 12)
  co_return co_await start_target_session(*conn, false);
}

// STARTUP and credentials on a new target connection. With auth_mode "client" the client's own
// AUTH_RESPONSE tokens are replayed when `replay_client_auth` (a connection opened after the
// handshake, token_routing.cpp); otherwise the session waits for them (target_auth_pending_).
asio::awaitable<std::string> client_session::start_target_session(client::cluster_connection& conn,
                                                                  bool replay_client_auth) {
  protocol::startup_message startup;
  startup.options["CQL_VERSION"] = "3.0.0";
  startup.options["DRIVER_NAME"] = "tandem-proxy";
  // Spec v5 §4.1.1: an overloaded target answers Overloaded rather than stalling the mirrored
  // writes; the journal keeps and replays them (issue 14).
  startup.options["THROW_ON_OVERLOAD"] = "1";
  protocol::bytes startup_body = protocol::encode_startup(startup, version_);
  auto answer = co_await conn.call(opcode::startup, std::move(startup_body));
  if (!answer.ok()) {
    conn.close(answer.detail);
    co_return answer.detail;
  }
  if (answer.frame.header.op == opcode::ready) {
    conn.begin_framing(protocol::compression_algorithm::none);
    co_return std::string{};
  }
  if (answer.frame.header.op != opcode::authenticate) {
    const std::string why = "target refused STARTUP: " + error_text(answer.frame);
    conn.close(why);
    co_return why;
  }
  conn.begin_framing(protocol::compression_algorithm::none);
  std::vector<protocol::bytes> tokens;
  if (ctx_->cfg.target.auth_mode == client::target_auth_mode::client) {
    if (!replay_client_auth) {
      target_auth_pending_ = true;
      co_return std::string{};
    }
    tokens = source_auth_bodies_;
  } else {
    const auto& t = ctx_->cfg.target;
    tokens.push_back(auth_response_body(plain_token(t.username, t.password)));
  }
  for (auto& token : tokens) {
    auto auth = co_await conn.call(opcode::auth_response, std::move(token));
    if (auth.ok() && auth.frame.header.op == opcode::auth_success) {
      co_return std::string{};
    }
    if (!auth.ok() || auth.frame.header.op != opcode::auth_challenge) {
      const char* whose = ctx_->cfg.target.auth_mode == client::target_auth_mode::client
                              ? "the client's" : "the configured";
      const std::string why = auth.ok() ? std::string("target rejected ") + whose +
                                              " credentials: " + error_text(auth.frame)
                                        : auth.detail;
      conn.close(why);
      co_return why;
    }
  }
  const std::string why = "the target asks for more credentials than the session has";
  conn.close(why);
  co_return why;
}

asio::awaitable<void> client_session::handle_auth_response(protocol::owned_frame f) {
  protocol::bytes body = f.body;
  source_auth_bodies_.push_back(f.body);
  auto answer = co_await source_->call(opcode::auth_response, std::move(body));
  if (!answer.ok()) {
    reply_call_failure(f.header, answer);
    close_after_write_ = true;
    co_return;
  }
  if (answer.frame.header.op == opcode::auth_success && target_auth_pending_ && target_ &&
      target_->is_open()) {
    target_auth_pending_ = false;
    protocol::bytes target_body = f.body;
    auto t = co_await target_->call(opcode::auth_response, std::move(target_body));
    if (!t.ok() || t.frame.header.op != opcode::auth_success) {
      spdlog::warn("client {}: the target rejected the client's credentials", peer_);
      target_->close("target rejected the client's credentials");
    }
  }
  reply(f.header, answer.frame);
  if (answer.frame.header.op == opcode::auth_success) {
    phase_ = phase::ready;
  }
}

}  // namespace tandem::proxy
