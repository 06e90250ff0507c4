#include "protocol/messages/error_message.hpp"

#include "protocol/wire_reader.hpp"
#include "protocol/wire_writer.hpp"

namespace tandem::protocol {
namespace {

// The smallest reason-map entry: an IPv4 [inetaddr] (1 + 4 bytes) and a [short].
constexpr std::size_t min_reason_size = 1 + 4 + 2;

bool is_v5(protocol_version v) noexcept { return v >= protocol_version::v5; }

// spec v5 §8: the <contentions> [short] follows <writeType> only for CAS writes.
bool has_contentions(const std::string& write_type, protocol_version v) noexcept {
  return is_v5(v) && write_type == "CAS";
}

result<std::vector<failure_reason>> read_reason_map(wire_reader& r) {
  TANDEM_TRY(auto n, r.read_int());
  if (n < 0) {
    return errc::negative_length;
  }
  // Check the count against the bytes that are there before reserving (a hostile 2^31).
  if (static_cast<std::size_t>(n) > r.remaining() / min_reason_size) {
    return errc::truncated;
  }
  std::vector<failure_reason> out;
  out.reserve(static_cast<std::size_t>(n));
  for (std::int32_t i = 0; i < n; ++i) {
    TANDEM_TRY(auto endpoint, r.read_inetaddr());
    TANDEM_TRY(auto code, r.read_short());
    out.push_back(failure_reason{endpoint, code});
  }
  return out;
}

result<failure_counts> read_failure_counts(wire_reader& r, protocol_version v) {
  failure_counts f;
  TANDEM_TRY(f.cl, r.read_consistency());
  TANDEM_TRY(f.received, r.read_int());
  TANDEM_TRY(f.block_for, r.read_int());
  if (is_v5(v)) {
    TANDEM_TRY(f.reasons, read_reason_map(r));
    f.num_failures = static_cast<std::int32_t>(f.reasons.size());
  } else {
    TANDEM_TRY(f.num_failures, r.read_int());
  }
  return f;
}

void write_failure_counts(wire_writer& w, const failure_counts& f, protocol_version v) {
  w.write_consistency(f.cl);
  w.write_int(f.received);
  w.write_int(f.block_for);
  if (!is_v5(v)) {
    w.write_int(f.num_failures);
    return;
  }
  w.write_int(static_cast<std::int32_t>(f.reasons.size()));
  for (const auto& reason : f.reasons) {
    w.write_inetaddr(reason.endpoint);
    w.write_short(reason.code);
  }
}

result<error_details> read_timeouts(wire_reader& r, error_code code, protocol_version v) {
  TANDEM_TRY(auto cl, r.read_consistency());
  TANDEM_TRY(auto received, r.read_int());
  TANDEM_TRY(auto block_for, r.read_int());
  switch (code) {
    case error_code::write_timeout: {
      write_timeout_error e{cl, received, block_for, {}, {}};
      TANDEM_TRY(auto write_type, r.read_string());
      e.write_type = write_type;
      if (has_contentions(e.write_type, v)) {
        TANDEM_TRY(e.contentions, r.read_short());
      }
      return error_details{std::move(e)};
    }
    case error_code::read_timeout: {
      TANDEM_TRY(auto data_present, r.read_byte());
      return error_details{read_timeout_error{cl, received, block_for, data_present != 0}};
    }
    default:
      return error_details{cas_write_unknown_error{cl, received, block_for}};
  }
}

result<error_details> read_details(wire_reader& r, error_code code, protocol_version v) {
  switch (code) {
    case error_code::unavailable: {
      unavailable_error e;
      TANDEM_TRY(e.cl, r.read_consistency());
      TANDEM_TRY(e.required, r.read_int());
      TANDEM_TRY(e.alive, r.read_int());
      return error_details{e};
    }
    case error_code::write_timeout:
    case error_code::read_timeout:
    case error_code::cas_write_unknown:
      return read_timeouts(r, code, v);
    case error_code::read_failure: {
      read_failure_error e;
      TANDEM_TRY(e.failures, read_failure_counts(r, v));
      TANDEM_TRY(auto data_present, r.read_byte());
      e.data_present = data_present != 0;
      return error_details{std::move(e)};
    }
    case error_code::write_failure: {
      write_failure_error e;
      TANDEM_TRY(e.failures, read_failure_counts(r, v));
      TANDEM_TRY(auto write_type, r.read_string());
      e.write_type = write_type;
      return error_details{std::move(e)};
    }
    case error_code::function_failure: {
      TANDEM_TRY(auto keyspace, r.read_string());
      TANDEM_TRY(auto function, r.read_string());
      TANDEM_TRY(auto arg_types, r.read_string_list());
      return error_details{
          function_failure_error{std::string(keyspace), std::string(function), arg_types}};
    }
    case error_code::already_exists: {
      TANDEM_TRY(auto keyspace, r.read_string());
      TANDEM_TRY(auto table, r.read_string());
      return error_details{already_exists_error{std::string(keyspace), std::string(table)}};
    }
    case error_code::unprepared: {
      TANDEM_TRY(auto id, r.read_short_bytes());
      return error_details{unprepared_error{bytes(id.begin(), id.end())}};
    }
    default:
      // No extra body, or a code we do not know: whatever follows is ignored.
      return error_details{};
  }
}

// Writes the extra body of the alternative held (one overload per detail struct).
struct details_writer {
  wire_writer& w;
  protocol_version v;

  void operator()(const std::monostate&) const {}
  void operator()(const unavailable_error& e) const {
    w.write_consistency(e.cl);
    w.write_int(e.required);
    w.write_int(e.alive);
  }
  void operator()(const write_timeout_error& e) const {
    w.write_consistency(e.cl);
    w.write_int(e.received);
    w.write_int(e.block_for);
    w.write_string(e.write_type);
    if (has_contentions(e.write_type, v)) {
      w.write_short(e.contentions.value_or(0));
    }
  }
  void operator()(const read_timeout_error& e) const {
    w.write_consistency(e.cl);
    w.write_int(e.received);
    w.write_int(e.block_for);
    w.write_byte(e.data_present ? 1 : 0);
  }
  void operator()(const read_failure_error& e) const {
    write_failure_counts(w, e.failures, v);
    w.write_byte(e.data_present ? 1 : 0);
  }
  void operator()(const write_failure_error& e) const {
    write_failure_counts(w, e.failures, v);
    w.write_string(e.write_type);
  }
  void operator()(const function_failure_error& e) const {
    w.write_string(e.keyspace);
    w.write_string(e.function);
    w.write_string_list(e.arg_types);
  }
  void operator()(const already_exists_error& e) const {
    w.write_string(e.keyspace);
    w.write_string(e.table);
  }
  void operator()(const unprepared_error& e) const { w.write_short_bytes(e.id); }
  void operator()(const cas_write_unknown_error& e) const {
    w.write_consistency(e.cl);
    w.write_int(e.received);
    w.write_int(e.block_for);
  }
};

}  // namespace

const char* error_code_name(error_code c) noexcept {
  switch (c) {
    case error_code::server_error: return "Server_error";
    case error_code::protocol_error: return "Protocol_error";
    case error_code::authentication_error: return "Authentication_error";
    case error_code::unavailable: return "Unavailable";
    case error_code::overloaded: return "Overloaded";
    case error_code::is_bootstrapping: return "Is_bootstrapping";
    case error_code::truncate_error: return "Truncate_error";
    case error_code::write_timeout: return "Write_timeout";
    case error_code::read_timeout: return "Read_timeout";
    case error_code::read_failure: return "Read_failure";
    case error_code::function_failure: return "Function_failure";
    case error_code::write_failure: return "Write_failure";
    case error_code::cdc_write_failure: return "CDC_write_failure";
    case error_code::cas_write_unknown: return "CAS_write_unknown";
    case error_code::syntax_error: return "Syntax_error";
    case error_code::unauthorized: return "Unauthorized";
    case error_code::invalid: return "Invalid";
    case error_code::config_error: return "Config_error";
    case error_code::already_exists: return "Already_exists";
    case error_code::unprepared: return "Unprepared";
  }
  return "Unknown";
}

result<error_message> decode_error(bytes_view body, protocol_version v) {
  wire_reader r(body);
  TANDEM_TRY(auto code, r.read_int());
  TANDEM_TRY(auto message, r.read_string());
  error_message m;
  m.code = static_cast<error_code>(code);
  m.message = message;
  TANDEM_TRY(m.details, read_details(r, m.code, v));
  return m;
}

bytes encode_error(const error_message& m, protocol_version v) {
  wire_writer w;
  w.write_int(static_cast<std::int32_t>(m.code));
  w.write_string(m.message);
  std::visit(details_writer{w, v}, m.details);
  return w.take();
}

}  // namespace tandem::protocol
