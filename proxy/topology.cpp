#include "proxy/topology.hpp"

#include "protocol/cql/classifier.hpp"
#include "protocol/cql/lexer.hpp"
#include "protocol/wire_writer.hpp"

#include <boost/asio/ip/address.hpp>

#include <limits>
#include <stdexcept>

namespace tandem::proxy {

namespace asio = boost::asio;

namespace cql = protocol::cql;
using protocol::bytes;
using protocol::data_type;
using protocol::type_id;

namespace {

// The storage (gossip) port Cassandra reports in broadcast_port / listen_port / peer_port.
// Drivers do not connect to it; 7000 is Cassandra's default.
constexpr std::int32_t storage_port = 7000;

std::optional<bytes> parse_inet(std::string_view text) {
  boost::system::error_code ec;
  const auto addr = boost::asio::ip::make_address(std::string(text), ec);
  if (ec) {
    return std::nullopt;
  }
  bytes out;
  auto append = [&out](const auto& raw) {
    for (auto b : raw) {
      out.push_back(static_cast<std::byte>(b));
    }
  };
  if (addr.is_v4()) {
    append(addr.to_v4().to_bytes());
  } else {
    append(addr.to_v6().to_bytes());
  }
  return out;
}

bytes text_cell(std::string_view s) {
  const auto* p = reinterpret_cast<const std::byte*>(s.data());
  return bytes(p, p + s.size());
}

bytes int_cell(std::int32_t v) {
  protocol::wire_writer w;
  w.write_int(v);
  return w.take();
}

bytes inet_cell(const std::string& address) { return parse_inet(address).value(); }

bytes uuid_cell(const protocol::uuid& u) { return bytes(u.begin(), u.end()); }

// set<text> in protocol v3+: [int] n, then n [bytes] (spec v4 §6).
bytes text_set_cell(const std::vector<std::string>& items) {
  protocol::wire_writer w;
  w.write_int(static_cast<std::int32_t>(items.size()));
  for (const auto& s : items) {
    const bytes b = text_cell(s);
    w.write_bytes(protocol::bytes_view(b));
  }
  return w.take();
}

// Two FNV-1a 64-bit hashes with different offsets: a stable 128-bit digest for ids that
// must not change between runs or instances. Not cryptographic; nothing here needs that.
std::array<std::byte, 16> digest128(std::string_view s) {
  std::array<std::byte, 16> out{};
  std::uint64_t seeds[2] = {14695981039346656037ull, 0x6c62272e07bb0142ull};
  for (int half = 0; half < 2; ++half) {
    std::uint64_t h = seeds[half];
    for (char c : s) {
      h ^= static_cast<std::uint8_t>(c);
      h *= 1099511628211ull;
    }
    for (int i = 0; i < 8; ++i) {
      out[static_cast<std::size_t>(half * 8 + i)] = static_cast<std::byte>(h >> (56 - 8 * i));
    }
  }
  return out;
}

data_type simple(type_id id) { return data_type{id, {}, {}, {}, {}, {}}; }

data_type text_set() {
  data_type t = simple(type_id::set);
  t.params.push_back(simple(type_id::varchar));
  return t;
}

struct column_def {
  const char* name;
  data_type type;
};

protocol::rows_result make_table(std::string_view table, const std::vector<column_def>& defs) {
  protocol::rows_result r;
  r.metadata.flags = protocol::metadata_flags::global_tables_spec;
  for (const auto& d : defs) {
    r.metadata.columns.push_back({"system", std::string(table), d.name, d.type});
  }
  r.metadata.column_count = static_cast<std::int32_t>(r.metadata.columns.size());
  return r;
}

std::optional<std::size_t> column_index(const protocol::rows_result& t, std::string_view name) {
  for (std::size_t i = 0; i < t.metadata.columns.size(); ++i) {
    if (t.metadata.columns[i].name == name) {
      return i;
    }
  }
  return std::nullopt;
}


std::string undefined_column(const protocol::rows_result& t, std::string_view name) {
  const std::string table = t.metadata.columns.empty() ? "" : t.metadata.columns[0].table;
  return "Undefined column name " + std::string(name) + " in table system." + table;
}

}  // namespace

void validate(const topology_settings& s) {
  if (s.instances.empty()) {
    throw std::invalid_argument("topology: no proxy instances configured");
  }
  for (std::size_t i = 0; i < s.instances.size(); ++i) {
    if (!parse_inet(s.instances[i].address)) {
      throw std::invalid_argument("topology: instances[" + std::to_string(i) + "].address '" +
                                  s.instances[i].address + "' is not an IP address");
    }
  }
  if (s.self_index >= s.instances.size()) {
    throw std::invalid_argument("topology: self_index " + std::to_string(s.self_index) +
                                " is not below the number of instances " +
                                std::to_string(s.instances.size()));
  }
  if (s.tokens_per_instance == 0 || s.tokens_per_instance > 4096) {
    throw std::invalid_argument("topology: tokens_per_instance must be 1..4096, got " +
                                std::to_string(s.tokens_per_instance));
  }
}

protocol::uuid derive_host_id(const proxy_instance& p) {
  protocol::uuid u = digest128("tandem-host:" + p.address + ":" + std::to_string(p.port));
  u[6] = (u[6] & std::byte{0x0F}) | std::byte{0x80};  // version 8 (RFC 9562 §5.8)
  u[8] = (u[8] & std::byte{0x3F}) | std::byte{0x80};  // variant 10xx
  return u;
}

std::vector<std::int64_t> ring_tokens(std::size_t instances, std::size_t tokens_per_instance) {
  const std::uint64_t total = static_cast<std::uint64_t>(instances) * tokens_per_instance;
  if (total == 0) {
    return {};
  }
  // floor(2^64 / total) without 128-bit arithmetic: floor((2^64 - 1) / total), plus one when
  // total divides 2^64 exactly (a power of two).
  const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t step = max / total + ((max % total) + 1 == total ? 1 : 0);
  std::vector<std::int64_t> tokens;
  tokens.reserve(total);
  const std::uint64_t min = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::min());
  for (std::uint64_t i = 0; i < total; ++i) {
    tokens.push_back(static_cast<std::int64_t>(min + i * step));  // modular, as C++20 defines
  }
  return tokens;
}

std::vector<std::string> instance_tokens(const topology_settings& s, std::size_t index) {
  const auto all = ring_tokens(s.instances.size(), s.tokens_per_instance);
  std::vector<std::string> mine;
  for (std::size_t i = index; i < all.size(); i += s.instances.size()) {
    mine.push_back(std::to_string(all[i]));
  }
  return mine;
}

protocol::rows_result local_table(const topology_settings& s) {
  const data_type text = simple(type_id::varchar), inet = simple(type_id::inet),
                  int_ = simple(type_id::int_), uuid = simple(type_id::uuid);
  auto t = make_table("local", {{"key", text}, {"bootstrapped", text},
                                {"broadcast_address", inet}, {"broadcast_port", int_},
                                {"cluster_name", text}, {"cql_version", text},
                                {"data_center", text}, {"host_id", uuid},
                                {"listen_address", inet}, {"listen_port", int_},
                                {"native_protocol_version", text}, {"partitioner", text},
                                {"rack", text}, {"release_version", text},
                                {"rpc_address", inet}, {"rpc_port", int_},
                                {"schema_version", uuid}, {"tokens", text_set()}});
  const proxy_instance& self = s.instances.at(s.self_index);
  t.rows.push_back({text_cell("local"), text_cell("COMPLETED"), inet_cell(self.address),
                    int_cell(storage_port), text_cell(s.cluster_name), text_cell(s.cql_version),
                    text_cell(s.data_center), uuid_cell(derive_host_id(self)),
                    inet_cell(self.address), int_cell(storage_port),
                    text_cell(s.native_protocol_version), text_cell(s.partitioner),
                    text_cell(s.rack), text_cell(s.release_version), inet_cell(self.address),
                    int_cell(self.port), uuid_cell(s.schema_version),
                    text_set_cell(instance_tokens(s, s.self_index))});
  return t;
}

// preferred_ip / preferred_port are null, as on a cluster without prefer_local.
protocol::rows_result peers_table(const topology_settings& s) {
  const data_type text = simple(type_id::varchar), inet = simple(type_id::inet),
                  uuid = simple(type_id::uuid);
  auto t = make_table("peers", {{"peer", inet}, {"data_center", text}, {"host_id", uuid},
                                {"preferred_ip", inet}, {"rack", text},
                                {"release_version", text}, {"rpc_address", inet},
                                {"schema_version", uuid}, {"tokens", text_set()}});
  for (std::size_t i = 0; i < s.instances.size(); ++i) {
    if (i == s.self_index) {
      continue;
    }
    const proxy_instance& p = s.instances[i];
    t.rows.push_back({inet_cell(p.address), text_cell(s.data_center),
                      uuid_cell(derive_host_id(p)), std::nullopt, text_cell(s.rack),
                      text_cell(s.release_version), inet_cell(p.address),
                      uuid_cell(s.schema_version), text_set_cell(instance_tokens(s, i))});
  }
  return t;
}

protocol::rows_result peers_v2_table(const topology_settings& s) {
  const data_type text = simple(type_id::varchar), inet = simple(type_id::inet),
                  int_ = simple(type_id::int_), uuid = simple(type_id::uuid);
  auto t = make_table("peers_v2", {{"peer", inet}, {"peer_port", int_}, {"data_center", text},
                                   {"host_id", uuid}, {"native_address", inet},
                                   {"native_port", int_}, {"preferred_ip", inet},
                                   {"preferred_port", int_}, {"rack", text},
                                   {"release_version", text}, {"schema_version", uuid},
                                   {"tokens", text_set()}});
  for (std::size_t i = 0; i < s.instances.size(); ++i) {
    if (i == s.self_index) {
      continue;
    }
    const proxy_instance& p = s.instances[i];
    t.rows.push_back({inet_cell(p.address), int_cell(storage_port), text_cell(s.data_center),
                      uuid_cell(derive_host_id(p)), inet_cell(p.address), int_cell(p.port),
                      std::nullopt, std::nullopt, text_cell(s.rack),
                      text_cell(s.release_version), uuid_cell(s.schema_version),
                      text_set_cell(instance_tokens(s, i))});
  }
  return t;
}

query_result<protocol::rows_result> full_table(const topology_settings& s,
                                               std::string_view table) {
  if (table == "local") {
    return local_table(s);
  }
  if (table == "peers") {
    return peers_table(s);
  }
  if (table == "peers_v2") {
    return peers_v2_table(s);
  }
  return query_failure("the proxy does not answer system." + std::string(table));
}

namespace {

// A literal in the encoding of the column type it is compared with; nullopt if it cannot be.
std::optional<bytes> encode_literal(const data_type& type, const std::string& literal) {
  switch (type.id) {
    case type_id::varchar:
    case type_id::ascii: return text_cell(literal);
    case type_id::inet: return parse_inet(literal);
    case type_id::int_:
      try {
        std::size_t used = 0;
        const long long v = std::stoll(literal, &used);
        if (used != literal.size() || v < std::numeric_limits<std::int32_t>::min() ||
            v > std::numeric_limits<std::int32_t>::max()) {
          return std::nullopt;
        }
        return int_cell(static_cast<std::int32_t>(v));
      } catch (const std::exception&) {
        return std::nullopt;
      }
    default: return std::nullopt;
  }
}

}  // namespace

query_result<protocol::rows_result> filter_rows(
    const protocol::rows_result& full, std::span<const where_equal> where,
    std::span<const std::optional<protocol::bytes>> bound_values) {
  protocol::rows_result out = full;
  for (const auto& cond : where) {
    const auto idx = column_index(full, cond.column);
    if (!idx) {
      return query_failure(undefined_column(full, cond.column));
    }
    std::optional<bytes> wanted;
    if (cond.literal) {
      wanted = encode_literal(full.metadata.columns[*idx].type, *cond.literal);
      if (!wanted) {
        return query_failure("Invalid value '" + *cond.literal + "' for column " + cond.column);
      }
    } else if (cond.marker < bound_values.size()) {
      wanted = bound_values[cond.marker];
    }
    std::erase_if(out.rows, [&](const protocol::result_row& row) {
      return !wanted || !row[*idx] || *row[*idx] != *wanted;
    });
  }
  return out;
}

query_result<protocol::rows_result> project(const protocol::rows_result& full,
                                            std::span<const select_item> items) {
  protocol::rows_result out;
  out.metadata = full.metadata;
  out.metadata.columns.clear();
  std::vector<std::size_t> picked;
  for (const auto& item : items) {
    const auto idx = column_index(full, item.name);
    if (!idx) {
      return query_failure(undefined_column(full, item.name));
    }
    picked.push_back(*idx);
    out.metadata.columns.push_back(full.metadata.columns[*idx]);
    out.metadata.columns.back().name = item.alias.empty() ? item.name : item.alias;
  }
  out.metadata.column_count = static_cast<std::int32_t>(picked.size());
  for (const auto& row : full.rows) {
    protocol::result_row r;
    r.reserve(picked.size());
    for (std::size_t i : picked) {
      r.push_back(row[i]);
    }
    out.rows.push_back(std::move(r));
  }
  return out;
}

query_result<protocol::rows_result> project(const protocol::rows_result& full,
                                            const std::vector<std::string>& columns_or_star) {
  if (columns_or_star.size() == 1 && columns_or_star[0] == "*") {
    return full;
  }
  std::vector<select_item> items;
  for (const auto& c : columns_or_star) {
    items.push_back({c, c});
  }
  return project(full, items);
}

query_result<protocol::rows_result> answer_select(
    const topology_settings& s, const system_select& q,
    std::span<const std::optional<protocol::bytes>> bound_values) {
  auto full = full_table(s, q.table);
  if (!full) {
    return query_failure(full.error());
  }
  auto filtered = filter_rows(*full, q.where, bound_values);
  if (!filtered || q.star) {
    return filtered;
  }
  return project(*filtered, q.items);
}

query_result<protocol::prepared_result> prepare_select(const topology_settings& s,
                                                       const system_select& q,
                                                       std::string_view query_text,
                                                       std::string_view keyspace,
                                                       protocol::protocol_version v) {
  auto full = full_table(s, q.table);
  if (!full) {
    return query_failure(full.error());
  }
  full->rows.clear();
  protocol::prepared_result p;
  const auto id = digest128("tandem-prepared:" + std::string(keyspace) + "\n" +
                            std::string(query_text));
  p.id.assign(id.begin(), id.end());
  p.metadata.flags = protocol::metadata_flags::global_tables_spec;
  p.metadata.columns.resize(q.markers);
  for (const auto& cond : q.where) {
    const auto idx = column_index(*full, cond.column);
    if (!idx) {
      return query_failure(undefined_column(*full, cond.column));
    }
    if (!cond.literal && cond.marker < q.markers) {
      p.metadata.columns[cond.marker] = full->metadata.columns[*idx];
      // The partition key (key, peer) bound by a marker: its index (spec v4 §4.2.5.4).
      if (*idx == 0 && v != protocol::protocol_version::v3) {
        p.metadata.pk_indexes = {static_cast<std::uint16_t>(cond.marker)};
      }
    }
  }
  if (q.limit_marker && *q.limit_marker < q.markers) {
    p.metadata.columns[*q.limit_marker] = {"system", q.table, "[limit]", simple(type_id::int_)};
  }
  auto result_columns = q.star ? query_result<protocol::rows_result>(*full)
                               : project(*full, q.items);
  if (!result_columns) {
    return query_failure(result_columns.error());
  }
  p.result_metadata = result_columns->metadata;
  if (v == protocol::protocol_version::v5) {
    std::string shape;
    for (const auto& c : p.result_metadata.columns) {
      shape += c.name + ":" + std::to_string(static_cast<int>(c.type.id)) + ",";
    }
    const auto md = digest128("tandem-metadata:" + shape);
    p.result_metadata_id.assign(md.begin(), md.end());
  }
  return p;
}

bool reads_system_local(std::string_view text, std::string_view session_keyspace) {
  auto info = protocol::cql::classify(text);
  if (!info || info->kind != protocol::cql::statement_kind::select || info->table != "local") {
    return false;
  }
  return info->keyspace == "system" || (info->keyspace.empty() && session_keyspace == "system");
}

protocol::rows_result with_instance_values(const topology_settings& s,
                                           protocol::rows_result forwarded) {
  const protocol::rows_result own = local_table(s);
  for (std::size_t i = 0; i < forwarded.metadata.columns.size(); ++i) {
    const auto& col = forwarded.metadata.columns[i];
    for (std::size_t j = 0; j < own.metadata.columns.size(); ++j) {
      const auto& mine = own.metadata.columns[j];
      if (col.table != "local" || col.name != mine.name || !(col.type == mine.type)) {
        continue;
      }
      for (auto& row : forwarded.rows) {
        if (i < row.size()) {
          row[i] = own.rows.front()[j];
        }
      }
    }
  }
  return forwarded;
}

}  // namespace tandem::proxy
