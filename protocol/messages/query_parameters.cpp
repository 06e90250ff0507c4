#include "protocol/messages/query_parameters.hpp"

#include <algorithm>

namespace tandem::protocol {

std::uint32_t known_query_flags(protocol_version v) noexcept {
  // v3 and v4 define 0x01..0x40 in a [byte]; v5 widens the flags to an [int] and adds keyspace
  // and now_in_seconds (spec v5 §9 "Changes from v4").
  return v == protocol_version::v5 ? 0x01FFu : 0x007Fu;
}

result<std::uint32_t> read_request_flags(wire_reader& r, protocol_version v) noexcept {
  if (v == protocol_version::v5) {
    TANDEM_TRY(auto flags, r.read_int());
    return static_cast<std::uint32_t>(flags);
  }
  TANDEM_TRY(auto flags, r.read_byte());
  return std::uint32_t{flags};
}

void write_request_flags(wire_writer& w, std::uint32_t flags, protocol_version v) {
  if (v == protocol_version::v5) {
    w.write_int(static_cast<std::int32_t>(flags));
    return;
  }
  w.write_byte(static_cast<std::uint8_t>(flags));
}

std::uint32_t query_parameters_flags(const query_parameters& p, protocol_version v) noexcept {
  std::uint32_t flags = 0;
  if (!p.values.empty()) {
    flags |= query_flags::values;
  }
  if (p.skip_metadata) {
    flags |= query_flags::skip_metadata;
  }
  if (p.page_size) {
    flags |= query_flags::page_size;
  }
  if (p.paging_state) {
    flags |= query_flags::paging_state;
  }
  if (p.serial_consistency) {
    flags |= query_flags::serial_consistency;
  }
  if (p.default_timestamp) {
    flags |= query_flags::default_timestamp;
  }
  if (p.names_for_values) {
    flags |= query_flags::names_for_values;
  }
  if (v == protocol_version::v5 && p.keyspace) {
    flags |= query_flags::keyspace;
  }
  if (v == protocol_version::v5 && p.now_in_seconds) {
    flags |= query_flags::now_in_seconds;
  }
  return flags;
}

result<value_view> read_bound_value(wire_reader& r, protocol_version v) noexcept {
  TANDEM_TRY(auto val, r.read_value());
  // Unset values were added in v4 (spec v4 §3 [value], §10 "Changes from v3").
  if (val.state == value::kind::unset && v == protocol_version::v3) {
    return errc::bad_value;
  }
  return val;
}

namespace {

struct bound_values {
  std::vector<value> values;
  std::vector<std::string> names;
};

// <n>[name_1]<value_1>...[name_n]<value_n> (spec v4 §4.1.4).
result<bound_values> read_values(wire_reader& r, protocol_version v, bool named) {
  TANDEM_TRY(auto n, r.read_short());
  // Every value takes at least its 4-byte length, so a count above remaining()/4 cannot be
  // honest: reserve no more than that, and let the loop report where the input runs out.
  const std::size_t plausible = std::min<std::size_t>(n, r.remaining() / 4);
  bound_values out;
  out.values.reserve(plausible);
  if (named) {
    out.names.reserve(plausible);
  }
  for (std::uint16_t i = 0; i < n; ++i) {
    if (named) {
      TANDEM_TRY(auto name, r.read_string());
      out.names.emplace_back(name);
    }
    TANDEM_TRY(auto val, read_bound_value(r, v));
    out.values.push_back(value{val.state, bytes(val.data.begin(), val.data.end())});
  }
  return out;
}

}  // namespace

result<query_parameters> decode_query_parameters(wire_reader& r, protocol_version v) {
  query_parameters p;
  TANDEM_TRY(p.consistency_level, r.read_consistency());
  TANDEM_TRY(auto flags, read_request_flags(r, v));
  if ((flags & ~known_query_flags(v)) != 0) {
    return errc::bad_value;
  }
  p.skip_metadata = (flags & query_flags::skip_metadata) != 0;
  p.names_for_values = (flags & query_flags::names_for_values) != 0;
  if ((flags & query_flags::values) != 0) {
    TANDEM_TRY(auto bound, read_values(r, v, p.names_for_values));
    p.values = std::move(bound.values);
    p.names = std::move(bound.names);
  }
  if ((flags & query_flags::page_size) != 0) {
    TANDEM_TRY(p.page_size, r.read_int());
  }
  if ((flags & query_flags::paging_state) != 0) {
    TANDEM_TRY(auto state, r.read_bytes());
    // A paging state comes from a previous result; a null one has no meaning, and accepting it
    // would leave the flag and the field disagreeing in this struct.
    if (!state) {
      return errc::bad_value;
    }
    p.paging_state.emplace(state->begin(), state->end());
  }
  if ((flags & query_flags::serial_consistency) != 0) {
    TANDEM_TRY(p.serial_consistency, r.read_consistency());
  }
  if ((flags & query_flags::default_timestamp) != 0) {
    TANDEM_TRY(p.default_timestamp, r.read_long());
  }
  if ((flags & query_flags::keyspace) != 0) {
    TANDEM_TRY(auto ks, r.read_string());
    p.keyspace.emplace(ks);
  }
  if ((flags & query_flags::now_in_seconds) != 0) {
    TANDEM_TRY(p.now_in_seconds, r.read_int());
  }
  return p;
}

void encode_query_parameters(wire_writer& w, const query_parameters& p, protocol_version v) {
  const std::uint32_t flags = query_parameters_flags(p, v);
  w.write_consistency(p.consistency_level);
  write_request_flags(w, flags, v);
  if ((flags & query_flags::values) != 0) {
    w.write_short(static_cast<std::uint16_t>(p.values.size()));
    for (std::size_t i = 0; i < p.values.size(); ++i) {
      if (p.names_for_values) {
        w.write_string(i < p.names.size() ? std::string_view{p.names[i]} : std::string_view{});
      }
      w.write_value(p.values[i]);
    }
  }
  if (p.page_size) {
    w.write_int(*p.page_size);
  }
  if (p.paging_state) {
    w.write_bytes(bytes_view{*p.paging_state});
  }
  if (p.serial_consistency) {
    w.write_consistency(*p.serial_consistency);
  }
  if (p.default_timestamp) {
    w.write_long(*p.default_timestamp);
  }
  if ((flags & query_flags::keyspace) != 0) {
    w.write_string(*p.keyspace);
  }
  if ((flags & query_flags::now_in_seconds) != 0) {
    w.write_int(*p.now_in_seconds);
  }
}

}  // namespace tandem::protocol
