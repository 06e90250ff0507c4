#include "tools/bench/stub_server.hpp"

#include "protocol/cql/classifier.hpp"
#include "protocol/messages/auth.hpp"
#include "protocol/messages/error_message.hpp"
#include "protocol/messages/query_parameters.hpp"
#include "protocol/messages/startup.hpp"
#include "protocol/messages/supported.hpp"
#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"
#include "tools/bench/socket_options.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <cstring>

namespace tandem::bench {

using protocol::opcode;

namespace {

constexpr auto protocol_error = static_cast<std::int32_t>(protocol::error_code::protocol_error);

// RESULT Void: the [int] kind 0x0001 and nothing else (spec v4 §4.2.5.1).
constexpr std::array<std::byte, 4> void_body{std::byte{0}, std::byte{0}, std::byte{0}, std::byte{1}};

// The request body after the prefix its flags announce (spec v4 §2.2): a request carries
// no tracing id or warnings, but may carry a custom payload.
protocol::result<protocol::bytes_view> message_of(const frame_in& f, protocol::bytes_view body) {
  if (f.header.version == protocol::protocol_version::v3 ||
      (f.header.flags & protocol::frame_flags::custom_payload) == 0) {
    return body;
  }
  protocol::wire_reader r(body);
  TANDEM_TRY_VOID(r.read_bytes_map());
  return r.rest();
}

bool is_conditional(std::string_view text) {
  auto info = protocol::cql::classify(text);
  return info && info->conditional;
}

}  // namespace

std::size_t id_hash::operator()(const std::array<std::byte, 16>& id) const noexcept {
  std::size_t h = 0;
  std::memcpy(&h, id.data(), sizeof h);
  return h;
}

const stub_statement& stub_prepared::in(protocol::protocol_version v, const stub_identity& who) {
  auto& slot = by_version[static_cast<std::size_t>(v) - 3];
  if (!slot) {
    slot = prepare_statement(text, keyspace, v, who);
  }
  return *slot;
}

std::string stub_counters::json() const {
  std::string out = "{\"connections\":" + std::to_string(connections) +
                    ",\"open_connections\":" + std::to_string(open_connections) +
                    ",\"writes\":" + std::to_string(writes) + ",\"reads\":" + std::to_string(reads) +
                    ",\"requests\":{";
  bool first = true;
  for (std::size_t op = 0; op < by_opcode.size(); ++op) {
    if (by_opcode[op] == 0) {
      continue;
    }
    out += std::string(first ? "" : ",") + "\"" +
           protocol::opcode_name(static_cast<opcode>(op)) + "\":" + std::to_string(by_opcode[op]);
    first = false;
  }
  return out + "}}";
}

stub_session::stub_session(asio::ip::tcp::socket socket, stub_state& state)
    : wire_(std::move(socket)), state_(state) {
  ++state_.counters.connections;
  ++state_.counters.open_connections;
}

stub_session::~stub_session() { --state_.counters.open_connections; }

void stub_session::start() {
  set_no_delay(wire_.socket());
  auto self = shared_from_this();
  const auto ex = wire_.socket().get_executor();
  asio::co_spawn(ex, [self] { return self->read_loop(); }, asio::detached);
  asio::co_spawn(ex, [self] { return self->write_loop(); }, asio::detached);
}

asio::awaitable<void> stub_session::read_loop() {
  auto self = shared_from_this();
  frame_reader& reader = wire_.reader();
  for (;;) {
    // Only where a frame starts: the first byte of a read in the middle of one is not a
    // version. Asked before the read, which commits what it got.
    const bool at_frame_start =
        phase_ == phase::handshake && !reader.segmented() && reader.buffered() == 0;
    const auto got = co_await wire_.read_some();
    if (got.error) {
      break;
    }
    if (at_frame_start && refuse_version(got.bytes)) {
      closing_ = true;
    }
    while (!closing_) {
      auto next = reader.next();
      if (!next) {
        frame_in none{{version_, false, 0, 0, opcode::options, 0}, {}};
        answer_error(none, protocol_error, "Invalid frame: " + next.error().message());
        closing_ = true;
        break;
      }
      if (!*next) {
        break;
      }
      if (!handle(**next)) {
        closing_ = true;
      }
    }
    wire_.wake_writer();
    if (closing_) {
      break;
    }
  }
  closing_ = true;
  wire_.wake_writer();
}

asio::awaitable<void> stub_session::write_loop() {
  auto self = shared_from_this();
  for (;;) {
    if (wire_.sink().empty()) {
      if (closing_) {
        break;
      }
      co_await wire_.wait_for_frames();
      continue;
    }
    const auto ec = co_await wire_.write_queued();
    if (ec) {
      break;
    }
  }
  wire_.close();
}

// spec v4 §9 / v5 §8: an unsupported version gets a PROTOCOL_ERROR naming those spoken, in a
// v4 header, as Cassandra answers, so that drivers step down.
bool stub_session::refuse_version(protocol::bytes_view data) {
  auto raw = protocol::peek_raw_version(data);
  if (!raw || protocol::is_supported_version(*raw) || data.size() < 4) {
    return false;
  }
  const auto stream = static_cast<std::int16_t>((std::to_integer<int>(data[2]) << 8) |
                                                std::to_integer<int>(data[3]));
  frame_in request{{protocol::protocol_version::v4, false, 0, stream, opcode::options, 0}, {}};
  version_ = protocol::protocol_version::v4;
  answer_error(request, protocol_error,
               "Invalid or unsupported protocol version (" + std::to_string(*raw) +
                   "); supported versions are (3/v3, 4/v4, 5/v5)");
  return true;
}

void stub_session::answer(const frame_in& request, opcode op, protocol::bytes_view body) {
  const protocol::frame_header h{version_, true, 0, request.header.stream, op, 0};
  wire_.sink().append(h, body);
}

void stub_session::answer_error(const frame_in& request, std::int32_t code,
                                const std::string& message) {
  protocol::wire_writer w;
  w.write_int(code);
  w.write_string(message);
  answer(request, opcode::error, w.data());
}

void stub_session::answer_supported(const frame_in& request) {
  protocol::supported_message m;
  m.options["CQL_VERSION"] = {"3.4.7"};
  m.options["COMPRESSION"] = {"lz4", "snappy"};
  m.options["PROTOCOL_VERSIONS"] = {"3/v3", "4/v4", "5/v5"};
  answer(request, opcode::supported, protocol::encode_supported(m, version_));
}

bool stub_session::handle(const frame_in& f) {
  const auto op = f.header.op;
  ++state_.counters.by_opcode[static_cast<std::size_t>(op)];
  if (f.header.is_response) {
    answer_error(f, protocol_error, "Invalid frame: a response sent to the server");
    return false;
  }
  if (phase_ == phase::handshake) {
    version_ = f.header.version;
  }
  auto plain = wire_.reader().plain_body(f);
  if (!plain) {
    answer_error(f, protocol_error, "Invalid frame body: " + plain.error().message());
    return false;
  }
  auto body = message_of(f, *plain);
  if (!body) {
    answer_error(f, protocol_error, "Invalid custom payload: " + body.error().message());
    return false;
  }
  if (op == opcode::options) {
    answer_supported(f);
    return true;
  }
  if (phase_ == phase::handshake && op == opcode::startup) {
    return handle_startup(f);
  }
  if (phase_ == phase::authenticating && op == opcode::auth_response) {
    return handle_auth_response(f);
  }
  if (phase_ != phase::ready) {
    answer_error(f, protocol_error,
                 std::string("Unexpected message ") + protocol::opcode_name(op) +
                     ", expecting STARTUP or OPTIONS");
    return false;
  }
  switch (op) {
    case opcode::query: handle_query(f, *body); return true;
    case opcode::prepare: handle_prepare(f, *body); return true;
    case opcode::execute: handle_execute(f, *body); return true;
    case opcode::batch:
      ++state_.counters.writes;
      answer(f, opcode::result, void_body);
      return true;
    case opcode::register_: answer(f, opcode::ready, {}); return true;
    default: break;
  }
  answer_error(f, protocol_error,
               std::string("Unexpected message ") + protocol::opcode_name(op));
  return false;
}

bool stub_session::handle_startup(const frame_in& f) {
  auto body = wire_.reader().plain_body(f);
  auto startup = protocol::decode_startup(*body, version_);
  if (!startup) {
    answer_error(f, protocol_error, "Invalid STARTUP message: " + startup.error().message());
    return false;
  }
  auto compression = protocol::compression_algorithm::none;
  if (auto it = startup->options.find("COMPRESSION"); it != startup->options.end()) {
    auto c = protocol::parse_compression_algorithm(it->second);
    if (!c || (*c == protocol::compression_algorithm::snappy &&
               version_ == protocol::protocol_version::v5)) {
      answer_error(f, protocol_error, "Unsupported compression " + it->second);
      return true;
    }
    compression = *c;
  }
  const bool v5 = version_ == protocol::protocol_version::v5;
  if (!v5) {
    // spec v4 §5: the answer to STARTUP and everything after may be compressed.
    wire_.reader().set_compression(compression);
    wire_.sink().set_compression(compression);
  }
  if (state_.settings.user.empty()) {
    answer(f, opcode::ready, {});
    phase_ = phase::ready;
  } else {
    protocol::authenticate_message a{"org.apache.cassandra.auth.PasswordAuthenticator"};
    answer(f, opcode::authenticate, protocol::encode_authenticate(a, version_));
    phase_ = phase::authenticating;
  }
  if (v5) {
    // spec v5 §2.3.1: segments from the first frame after READY / AUTHENTICATE.
    const bool lz4 = compression == protocol::compression_algorithm::lz4;
    wire_.reader().begin_segments(lz4);
    wire_.sink().begin_segments(lz4);
  }
  return true;
}

bool stub_session::handle_auth_response(const frame_in& f) {
  auto body = wire_.reader().plain_body(f);
  auto m = protocol::decode_auth_response(*body, version_);
  const auto& s = state_.settings;
  std::string expected(1, '\0');
  expected += s.user + '\0' + s.password;
  const bool ok = m && m->token &&
                  std::string(reinterpret_cast<const char*>(m->token->data()), m->token->size()) ==
                      expected;
  if (!ok) {
    answer_error(f, static_cast<std::int32_t>(protocol::error_code::authentication_error),
                 "Provided username and/or password are incorrect");
    return true;
  }
  protocol::auth_success_message success;
  answer(f, opcode::auth_success, protocol::encode_auth_success(success, version_));
  phase_ = phase::ready;
  return true;
}

void stub_session::handle_query(const frame_in& f, protocol::bytes_view body) {
  protocol::wire_reader r(body);
  auto text = r.read_long_string();
  if (!text) {
    answer_error(f, protocol_error, "Invalid QUERY message");
    return;
  }
  auto result = answer_query(*text, state_.settings.identity, keyspace_);
  if (std::holds_alternative<protocol::rows_result>(result)) {
    const auto& rows = std::get<protocol::rows_result>(result);
    const bool applied = !rows.metadata.columns.empty() &&
                         rows.metadata.columns.front().name == "[applied]";
    ++(applied ? state_.counters.writes : state_.counters.reads);
  } else if (std::holds_alternative<protocol::void_result>(result)) {
    ++state_.counters.writes;
  }
  answer(f, opcode::result, protocol::encode_result(result, version_));
}

void stub_session::handle_prepare(const frame_in& f, protocol::bytes_view body) {
  protocol::wire_reader r(body);
  auto text = r.read_long_string();
  if (!text) {
    answer_error(f, protocol_error, "Invalid PREPARE message");
    return;
  }
  std::string keyspace = keyspace_;
  if (version_ == protocol::protocol_version::v5) {
    auto flags = r.read_int();
    if (flags && (*flags & 0x01) != 0) {
      auto ks = r.read_string();
      keyspace = ks ? std::string(*ks) : keyspace;
    }
  }
  const auto id = statement_id(keyspace, *text);
  auto it = state_.prepared.find(id);
  if (it == state_.prepared.end()) {
    it = state_.prepared.emplace(id, stub_prepared{std::string(*text), keyspace, {}}).first;
  }
  answer(f, opcode::result, it->second.in(version_, state_.settings.identity).prepared_body);
}

void stub_session::handle_execute(const frame_in& f, protocol::bytes_view body) {
  protocol::wire_reader r(body);
  auto id = r.read_short_bytes();
  if (!id) {
    answer_error(f, protocol_error, "Invalid EXECUTE message");
    return;
  }
  bool skip_metadata = false;
  if (version_ == protocol::protocol_version::v5) {
    (void)r.read_short_bytes();  // result metadata id: the stub's never change
  }
  (void)r.read_consistency();
  if (auto flags = protocol::read_request_flags(r, version_)) {
    skip_metadata = (*flags & 0x02) != 0;
  }
  std::array<std::byte, 16> key{};
  const stub_statement* statement = nullptr;
  if (id->size() == key.size()) {
    std::copy(id->begin(), id->end(), key.begin());
    if (auto it = state_.prepared.find(key); it != state_.prepared.end()) {
      statement = &it->second.in(version_, state_.settings.identity);
    }
  }
  if (statement == nullptr) {
    // spec v4 §9 Unprepared: <id> [short bytes], so the driver prepares again.
    protocol::wire_writer w;
    w.write_int(static_cast<std::int32_t>(protocol::error_code::unprepared));
    w.write_string("Prepared statement unknown to the stub");
    w.write_short_bytes(*id);
    answer(f, opcode::error, w.data());
    return;
  }
  if (state_.settings.conditional_write_timeouts > 0 && is_conditional(state_.prepared[key].text)) {
    --state_.settings.conditional_write_timeouts;
    protocol::error_message e;
    e.code = protocol::error_code::write_timeout;
    e.message = "Operation timed out - received only 0 responses.";
    e.details = protocol::write_timeout_error{protocol::consistency::serial, 0, 1, "CAS", {}};
    answer(f, opcode::error, protocol::encode_error(e, version_));
    return;
  }
  ++(statement->is_read ? state_.counters.reads : state_.counters.writes);
  answer(f, opcode::result,
         skip_metadata ? statement->answer_body_no_metadata : statement->answer_body);
}

}  // namespace tandem::bench
