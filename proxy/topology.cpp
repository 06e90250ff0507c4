#include "proxy/topology.hpp"

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

// An error for a query_result<T> of any T. (A plain std::string does not convert implicitly:
// with C++20 aggregate parenthesised initialisation T itself can look constructible from it.)
struct fail {
  std::string message;
  template <class T>
  operator query_result<T>() && {
    return query_result<T>(boost::system::in_place_error, std::move(message));
  }
};

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
  return fail("the proxy does not answer system." + std::string(table));
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
      return fail(undefined_column(full, cond.column));
    }
    std::optional<bytes> wanted;
    if (cond.literal) {
      wanted = encode_literal(full.metadata.columns[*idx].type, *cond.literal);
      if (!wanted) {
        return fail("Invalid value '" + *cond.literal + "' for column " + cond.column);
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
      return fail(undefined_column(full, item.name));
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
    return fail(full.error());
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
    return fail(full.error());
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
      return fail(undefined_column(*full, cond.column));
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
    return fail(result_columns.error());
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

namespace {

// A cursor over the tokens of one SELECT, for parse_system_select.
class select_cursor {
 public:
  explicit select_cursor(std::vector<cql::token> tokens) : tokens_(std::move(tokens)) {}

  const cql::token* peek() const { return pos_ < tokens_.size() ? &tokens_[pos_] : nullptr; }
  const cql::token* take() { return pos_ < tokens_.size() ? &tokens_[pos_++] : nullptr; }
  bool keyword(std::string_view k) { return advance_if(peek() && peek()->is_keyword(k)); }
  bool punct(std::string_view p) { return advance_if(peek() && peek()->is_punct(p)); }
  std::string near() const {
    return peek() ? "near '" + std::string(peek()->text) + "'" : "at the end of the statement";
  }

 private:
  bool advance_if(bool yes) {
    pos_ += yes ? 1 : 0;
    return yes;
  }
  std::vector<cql::token> tokens_;
  std::size_t pos_ = 0;
};

query_result<std::vector<select_item>> parse_selection(select_cursor& c) {
  std::vector<select_item> items;
  do {
    const cql::token* t = c.take();
    if (t == nullptr || !t->is_name()) {
      return fail("the proxy answers SELECTs of plain columns of system tables only, " +
                  c.near());
    }
    select_item item{cql::identifier_name(*t), {}};
    if (c.punct("(")) {
      return fail("the proxy does not support function calls (" + item.name +
                  "(...)) in SELECTs of system tables");
    }
    if (c.keyword("as")) {
      const cql::token* alias = c.take();
      if (alias == nullptr || !alias->is_name()) {
        return fail("expected a name after AS, " + c.near());
      }
      item.alias = cql::identifier_name(*alias);
    } else {
      item.alias = item.name;
    }
    items.push_back(std::move(item));
  } while (c.punct(","));
  return items;
}

// One `column = value`; a marker gets position `next_marker`.
query_result<where_equal> parse_condition(select_cursor& c, std::size_t next_marker) {
  const cql::token* column = c.take();
  if (column == nullptr || !column->is_name() || !c.punct("=")) {
    return fail("the proxy answers WHERE clauses of the form column = value only, " + c.near());
  }
  where_equal cond{cql::identifier_name(*column), std::nullopt, 0, {}};
  const cql::token* v = c.take();
  if (v == nullptr) {
    return fail("expected a value " + c.near());
  }
  switch (v->kind) {
    case cql::token_kind::string_literal: cond.literal = cql::string_value(*v); break;
    case cql::token_kind::number:
    case cql::token_kind::uuid: cond.literal = std::string(v->text); break;
    case cql::token_kind::named_marker:
      cond.marker_name = cql::identifier_name(*v);
      [[fallthrough]];
    case cql::token_kind::positional_marker: cond.marker = next_marker; break;
    default: return fail("unsupported value '" + std::string(v->text) + "' in WHERE");
  }
  return cond;
}

// FROM [ks.]table: only the three tables the proxy answers.
query_result<system_select> parse_from(select_cursor& c, system_select q,
                                       std::string_view session_keyspace) {
  const cql::token* first = c.keyword("from") ? c.take() : nullptr;
  if (first == nullptr || !first->is_name()) {
    return fail("expected FROM and a table, " + c.near());
  }
  std::string keyspace(session_keyspace);
  q.table = cql::identifier_name(*first);
  if (c.punct(".")) {
    const cql::token* table = c.take();
    if (table == nullptr || !table->is_name()) {
      return fail("expected a table name after '.', " + c.near());
    }
    keyspace = q.table;
    q.table = cql::identifier_name(*table);
  }
  if (keyspace != "system" || (q.table != "local" && q.table != "peers" && q.table != "peers_v2")) {
    return fail("the proxy answers system.local, system.peers and system.peers_v2 only, not " +
                keyspace + "." + q.table);
  }
  return q;
}

// [WHERE c = v [AND ...]] [LIMIT n|?] [ALLOW FILTERING] [;] and nothing else.
query_result<system_select> parse_tail(select_cursor& c, system_select q) {
  if (c.keyword("where")) {
    do {
      auto cond = parse_condition(c, q.markers);
      if (!cond) {
        return fail(cond.error());
      }
      q.markers += cond->literal ? 0 : 1;
      q.where.push_back(std::move(*cond));
    } while (c.keyword("and"));
  }
  if (c.keyword("limit")) {
    const cql::token* n = c.take();
    if (n != nullptr && (n->kind == cql::token_kind::positional_marker ||
                         n->kind == cql::token_kind::named_marker)) {
      q.limit_marker = q.markers++;
    } else if (n == nullptr || n->kind != cql::token_kind::number) {
      return fail("expected a number after LIMIT, " + c.near());
    }
  }
  if (c.keyword("allow") && !c.keyword("filtering")) {
    return fail("expected FILTERING after ALLOW, " + c.near());
  }
  c.punct(";");
  if (c.peek() != nullptr) {
    return fail("the proxy does not support this SELECT of system." + q.table + ", " + c.near());
  }
  return q;
}

}  // namespace

query_result<system_select> parse_system_select(std::string_view text,
                                                std::string_view session_keyspace) {
  auto tokens = cql::tokenize(text);
  if (!tokens.empty() && tokens.back().kind == cql::token_kind::error) {
    return fail(std::string("unterminated string, name or comment in the statement"));
  }
  select_cursor c(std::move(tokens));
  system_select q;
  if (!c.keyword("select")) {
    return fail("not a SELECT, " + c.near());
  }
  if (c.peek() && (c.peek()->is_keyword("json") || c.peek()->is_keyword("distinct"))) {
    return fail("the proxy does not support SELECT " + std::string(c.peek()->text) +
                " on system tables");
  }
  if (c.punct("*")) {
    q.star = true;
  } else {
    auto items = parse_selection(c);
    if (!items) {
      return fail(items.error());
    }
    q.items = std::move(*items);
  }
  auto from = parse_from(c, std::move(q), session_keyspace);
  if (!from) {
    return from;
  }
  return parse_tail(c, std::move(*from));
}

}  // namespace tandem::proxy
