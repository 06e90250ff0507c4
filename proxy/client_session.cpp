// The client session's I/O: reading frames, writing answers, dispatching requests.
// The handshake lives in client_handshake.cpp, request handling in client_requests.cpp.
#include "proxy/client_session.hpp"
#include "client/frame_writer.hpp"
#include "client/read_buffer.hpp"

#include "protocol/messages/error_message.hpp"
#include "protocol/wire_writer.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <array>

namespace tandem::proxy {

using asio::as_tuple;
using asio::use_awaitable;
using protocol::opcode;

client_session::client_session(asio::ip::tcp::socket socket, std::shared_ptr<proxy_context> ctx)
    : stream_(std::move(socket)),
      ctx_(std::move(ctx)),
      codec_(protocol::frame_limits{ctx_->cfg.limits.max_frame_bytes}),
      slot_freed_(stream_.get_executor()),
      record_timer_(stream_.get_executor()) {
  boost::system::error_code ec;
  auto ep = stream_.socket().remote_endpoint(ec);
  peer_ = ec ? std::string("unknown") : ep.address().to_string() + ":" + std::to_string(ep.port());
  bump(ctx_->stats.local().client_connections_opened);
}

client_session::~client_session() { bump(ctx_->stats.local().client_connections_closed); }

void client_session::start() {
  asio::co_spawn(stream_.get_executor(), [self = shared_from_this()] { return self->read_loop(); },
                 asio::detached);
}

void client_session::close(const std::string& why) {
  if (phase_ == phase::closing) {
    return;
  }
  phase_ = phase::closing;
  spdlog::debug("client {}: closing: {}", peer_, why);
  stream_.close();
  slot_freed_.notify_all();
  // Requests already sent (a mirrored write whose client got the primary's answer) finish.
  if (source_) {
    source_->close_when_idle("client closed");
  }
  if (target_) {
    target_->close_when_idle("client closed");
  }
  for (auto& conns : replica_conns_) {
    for (auto& [node, conn] : conns) {
      conn->close_when_idle("client closed");
    }
  }
}

// spec v4 §9 / v5 §8: a version the proxy or a cluster cannot speak gets a PROTOCOL_ERROR
// that names the versions spoken, in a header of the highest stable version, as Cassandra
// itself answers (seen on 5.0.9: "Invalid or unsupported protocol version (7); ..."), so the
// driver retries with a lower version. The connection is closed after the answer.
bool client_session::refuse_unsupported_version(protocol::bytes_view data) {
  auto raw = protocol::peek_raw_version(data);
  if (!raw || protocol::is_supported_version(*raw)) {
    return false;
  }
  std::int16_t stream = 0;
  if (*raw >= 3 && data.size() >= 4) {
    stream = static_cast<std::int16_t>((std::to_integer<int>(data[2]) << 8) |
                                       std::to_integer<int>(data[3]));
  } else if (data.size() >= 3) {
    stream = static_cast<std::int16_t>(std::to_integer<int>(data[2]));
  }
  version_ = *raw < 3 ? protocol::protocol_version::v3 : protocol::protocol_version::v5;
  bump(ctx_->stats.local().client_protocol_errors);
  protocol::frame_header h{version_, false, 0, stream, opcode::options, 0};
  reply_error(h, static_cast<std::int32_t>(protocol::error_code::protocol_error),
              "Invalid or unsupported protocol version (" + std::to_string(*raw) +
                  "); supported versions are (3/v3, 4/v4, 5/v5)");
  close_after_write_ = true;
  return true;
}

// proxy.tls: the client must complete a TLS handshake (with a certificate the CA signed, when
// proxy.tls.require_client_cert) within client_tls_handshake_timeout, or it is disconnected.
asio::awaitable<bool> client_session::accept_tls() {
  stream_.use_tls(*ctx_->client_tls);
  asio::steady_timer deadline(stream_.get_executor(), client_tls_handshake_timeout);
  std::weak_ptr<client_session> weak = shared_from_this();
  deadline.async_wait([weak](boost::system::error_code ec) {
    if (auto self = weak.lock(); self && !ec) {
      boost::system::error_code ignored;
      self->stream_.socket().cancel(ignored);
    }
  });
  auto [ec] = co_await stream_.tls().async_handshake(asio::ssl::stream_base::server,
                                                    as_tuple(use_awaitable));
  deadline.cancel();
  if (ec) {
    bump(ctx_->stats.local().client_tls_failures);
    spdlog::info("client {}: TLS handshake failed: {}", peer_, ec.message());
    close("TLS handshake failed");
    co_return false;
  }
  co_return true;
}

asio::awaitable<void> client_session::read_loop() {
  auto self = shared_from_this();
  if (ctx_->client_tls && !co_await accept_tls()) {
    co_return;
  }
  client::read_buffer buf;
  const std::size_t max_in_flight = ctx_->cfg.limits.max_in_flight_per_connection;
  while (phase_ != phase::closing) {
    // Backpressure: stop reading from a client that has too many requests outstanding
    // instead of queueing without bound.
    while (in_flight_ >= max_in_flight && phase_ != phase::closing) {
      co_await slot_freed_.wait();
    }
    auto [ec, n] = co_await stream_.read_some(buf.space());
    if (ec) {
      close(ec == asio::error::eof ? "client disconnected" : ec.message());
      co_return;
    }
    const protocol::bytes_view data = buf.bytes(n);
    if (phase_ == phase::handshake && codec_.buffered_bytes() == 0 &&
        refuse_unsupported_version(data)) {
      co_return;
    }
    codec_.feed(data);
    buf.after_read(n);
    // A request's latency counts from the read that brought it: one clock read per read.
    const auto read_at = std::chrono::steady_clock::now();
    std::int64_t read_wall_us = 0;  // the writes of this read take the wall clock once
    for (;;) {
      auto next = codec_.next();
      if (!next) {
        bump(ctx_->stats.local().client_protocol_errors);
        protocol::frame_header h{version_, false, 0, 0, opcode::options, 0};
        reply_error(h, static_cast<std::int32_t>(protocol::error_code::protocol_error),
                    std::string("Invalid frame: ") + next.error().message());
        close_after_write_ = true;
        co_return;
      }
      if (!*next || phase_ == phase::closing || close_after_write_) {
        break;
      }
      protocol::owned_frame f = std::move(**next);
      if (f.header.is_response) {
        protocol_violation(f.header, "Invalid frame: a response frame sent to the server");
        co_return;
      }
      if (phase_ == phase::ready) {
        // Requests after the handshake run concurrently: the client pipelines. A mirrored
        // prepared write goes out on callbacks (execute_now); any other request is a coroutine
        // of its own, whose end is counted by the completion handler (request_done).
        ++in_flight_;
        ctx_->requests_in_flight.add(1);
        if (f.header.op == opcode::execute && execute_now(f, read_at, read_wall_us)) {
          continue;
        }
        asio::co_spawn(stream_.get_executor(), handle(std::move(f)),
                       [self, read_at](const std::exception_ptr& e) {
                         if (e) {
                           log_request_exception(self->peer_, e);
                         }
                         self->request_done(read_at);
                       });
      } else {
        co_await handle(std::move(f));
      }
    }
  }
}

// A request's coroutine ended with an exception (a bug, or memory exhausted): said, not lost
// silently; the client's other requests go on.
void client_session::log_request_exception(const std::string& peer, const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("client {}: a request failed inside the proxy: {}", peer, ex.what());
  } catch (...) {
    spdlog::error("client {}: a request failed inside the proxy", peer);
  }
}

asio::awaitable<void> client_session::handle(protocol::owned_frame f) {
  const auto op = f.header.op;
  if (phase_ != phase::ready) {
    switch (op) {
      case opcode::options: answer_options(f.header); co_return;
      case opcode::startup:
        if (phase_ == phase::handshake) {
          co_await handle_startup(std::move(f));
          co_return;
        }
        break;
      case opcode::auth_response:
        if (phase_ == phase::authenticating) {
          co_await handle_auth_response(std::move(f));
          co_return;
        }
        break;
      default: break;
    }
    protocol_violation(f.header, std::string("Unexpected message ") + protocol::opcode_name(op) +
                    ", expecting STARTUP or OPTIONS (or AUTH_RESPONSE while authenticating)");
    co_return;
  }
  switch (op) {
    case opcode::options: answer_options(f.header); co_return;
    case opcode::query: co_await handle_query(std::move(f)); co_return;
    case opcode::prepare: co_await handle_prepare(std::move(f)); co_return;
    case opcode::execute: co_await handle_execute(std::move(f)); co_return;
    case opcode::batch: co_await handle_batch(std::move(f)); co_return;
    case opcode::register_: co_await handle_register(std::move(f)); co_return;
    default: break;
  }
  protocol_violation(f.header, std::string("Unexpected message ") + protocol::opcode_name(op) +
                  " after the connection is ready");
}

// Malformed input (spec v4 §9 Protocol_error): the client gets the error, then the connection
// is closed, because the byte stream or the client's state can no longer be trusted. Other
// clients are not affected.
void client_session::protocol_violation(const protocol::frame_header& request,
                                        const std::string& message) {
  bump(ctx_->stats.local().client_protocol_errors);
  close_after_write_ = true;
  reply_error(request, static_cast<std::int32_t>(protocol::error_code::protocol_error), message);
}

void client_session::reply(const protocol::frame_header& request,
                           const protocol::owned_frame& answer) {
  protocol::frame_header h{version_, true, answer.header.flags, request.stream, answer.header.op,
                           0};
  auto frame = protocol::buffer_pool::take();  // given back once written (frame_writer.hpp)
  codec_.encode_into(h, answer.body, frame);
  send_raw(std::move(frame));
}

void client_session::reply_error(const protocol::frame_header& request, std::int32_t code,
                                 const std::string& message) {
  protocol::wire_writer w;
  w.write_int(code);
  w.write_string(message.size() > 65535 ? message.substr(0, 65535) : message);
  protocol::frame_header h{version_, true, 0, request.stream, opcode::error, 0};
  send_raw(codec_.encode(h, w.data()));
}

// A request a cluster did not answer gets an error the driver understands, never silence.
void client_session::reply_call_failure(const protocol::frame_header& request,
                                        const client::call_result& r) {
  const auto code = r.failure == client::call_failure::overloaded ? protocol::error_code::overloaded
                                                           : protocol::error_code::server_error;
  reply_error(request, static_cast<std::int32_t>(code), "tandem proxy: " + r.detail);
}

void client_session::send_raw(protocol::bytes frame) {
  if (phase_ == phase::closing) {
    return;
  }
  writer_.send(std::move(frame), *this, stream_,
               [this] { return phase_ != phase::closing; },
               [this](boost::system::error_code ec) {
                 if (ec) {
                   close("write to client failed: " + ec.message());
                   return;
                 }
                 if (close_after_write_ && writer_.idle()) {
                   close("closed after a protocol error");
                 }
               });
}

}  // namespace tandem::proxy
