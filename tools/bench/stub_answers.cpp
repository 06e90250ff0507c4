#include "tools/bench/stub_answers.hpp"

#include "protocol/cql/classifier.hpp"
#include "protocol/cql/lexer.hpp"

#include <algorithm>
#include <cctype>

namespace tandem::bench {
namespace {

using protocol::type_id;
namespace cql = protocol::cql;

protocol::data_type simple(type_id id) {
  protocol::data_type t;
  t.id = id;
  return t;
}

protocol::data_type text_set() {
  protocol::data_type t = simple(type_id::set);
  t.params.push_back(simple(type_id::varchar));
  return t;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_key_name(std::string_view name) {
  const std::string n = lower(name);
  return n == "k" || n == "key" || n == "id" || n == "pk" || n == "[timestamp]" ||
         n.rfind("count", 0) == 0;
}

protocol::data_type type_for(std::string_view name) {
  if (name == "[limit]" || name == "[ttl]") {
    return simple(type_id::int_);
  }
  return simple(is_key_name(name) ? type_id::bigint : type_id::blob);
}

protocol::bytes cell_for(const protocol::data_type& t, std::size_t row_size) {
  switch (t.id) {
    case type_id::bigint: return protocol::bytes(8, std::byte{0});
    case type_id::int_: return protocol::bytes(4, std::byte{0});
    case type_id::boolean: return protocol::bytes{std::byte{1}};
    default: return protocol::bytes(row_size, std::byte{0x61});
  }
}

protocol::bytes text_cell(std::string_view s) {
  protocol::bytes out(s.size());
  std::transform(s.begin(), s.end(), out.begin(), [](char c) { return static_cast<std::byte>(c); });
  return out;
}

std::uint64_t fnv1a(std::string_view a, std::string_view b, std::uint64_t basis) {
  std::uint64_t h = basis;
  for (std::string_view part : {a, std::string_view("\n", 1), b}) {
    for (unsigned char c : part) {
      h = (h ^ c) * 0x100000001B3ull;
    }
  }
  return h;
}

struct column {
  std::string name;
  protocol::data_type type;
};

protocol::rows_result make_rows(std::string_view keyspace, std::string_view table,
                                const std::vector<column>& columns) {
  protocol::rows_result r;
  r.metadata.flags = protocol::metadata_flags::global_tables_spec;
  for (const auto& c : columns) {
    r.metadata.columns.push_back({std::string(keyspace), std::string(table), c.name, c.type});
  }
  r.metadata.column_count = static_cast<std::int32_t>(columns.size());
  return r;
}

protocol::rows_result applied_row(std::string_view keyspace, std::string_view table) {
  auto r = make_rows(keyspace, table, {{"[applied]", simple(type_id::boolean)}});
  r.rows.push_back({protocol::bytes{std::byte{1}}});
  return r;
}

// system.local, one row, every column the proxy and the common drivers read.
protocol::rows_result system_local(const stub_identity& who) {
  auto r = make_rows("system", "local",
                     {{"key", simple(type_id::varchar)},
                      {"bootstrapped", simple(type_id::varchar)},
                      {"broadcast_address", simple(type_id::inet)},
                      {"cluster_name", simple(type_id::varchar)},
                      {"cql_version", simple(type_id::varchar)},
                      {"data_center", simple(type_id::varchar)},
                      {"host_id", simple(type_id::uuid)},
                      {"listen_address", simple(type_id::inet)},
                      {"native_protocol_version", simple(type_id::varchar)},
                      {"partitioner", simple(type_id::varchar)},
                      {"rack", simple(type_id::varchar)},
                      {"release_version", simple(type_id::varchar)},
                      {"rpc_address", simple(type_id::inet)},
                      {"rpc_port", simple(type_id::int_)},
                      {"schema_version", simple(type_id::uuid)},
                      {"tokens", text_set()}});
  protocol::bytes address(4);
  std::transform(who.address.begin(), who.address.end(), address.begin(),
                 [](std::uint8_t b) { return static_cast<std::byte>(b); });
  const auto id = statement_id(who.cluster_name, "host");
  const auto schema = statement_id(who.cluster_name, "schema");
  protocol::bytes port(4);
  for (int i = 0; i < 4; ++i) {
    port[static_cast<std::size_t>(i)] = static_cast<std::byte>((who.port >> (24 - 8 * i)) & 0xFF);
  }
  // One token: a set<text> of one element ([int] n, then [int]-prefixed elements).
  protocol::bytes tokens{std::byte{0}, std::byte{0}, std::byte{0}, std::byte{1},
                         std::byte{0}, std::byte{0}, std::byte{0}, std::byte{1}, std::byte{'0'}};
  r.rows.push_back({text_cell("local"), text_cell("COMPLETED"), address,
                    text_cell(who.cluster_name), text_cell("3.4.7"), text_cell(who.data_center),
                    protocol::bytes(id.begin(), id.end()), address, text_cell("5"),
                    text_cell(who.partitioner), text_cell(who.rack), text_cell(who.release_version),
                    address, port, protocol::bytes(schema.begin(), schema.end()), tokens});
  return r;
}

// A single-node cluster: no peers, but the columns drivers and the proxy select.
protocol::rows_result system_peers(std::string_view table) {
  if (table == "peers_v2") {
    return make_rows("system", table,
                     {{"peer", simple(type_id::inet)}, {"peer_port", simple(type_id::int_)},
                      {"data_center", simple(type_id::varchar)}, {"host_id", simple(type_id::uuid)},
                      {"native_address", simple(type_id::inet)}, {"native_port", simple(type_id::int_)},
                      {"preferred_ip", simple(type_id::inet)}, {"preferred_port", simple(type_id::int_)},
                      {"rack", simple(type_id::varchar)}, {"release_version", simple(type_id::varchar)},
                      {"schema_version", simple(type_id::uuid)}, {"tokens", text_set()}});
  }
  return make_rows("system", table,
                   {{"peer", simple(type_id::inet)}, {"data_center", simple(type_id::varchar)},
                    {"host_id", simple(type_id::uuid)}, {"preferred_ip", simple(type_id::inet)},
                    {"rack", simple(type_id::varchar)}, {"release_version", simple(type_id::varchar)},
                    {"rpc_address", simple(type_id::inet)}, {"schema_version", simple(type_id::uuid)},
                    {"tokens", text_set()}});
}

// The selected columns of a SELECT: names, aliases, or the text of an expression; * is the
// bench table's (k, v).
std::vector<column> selected_columns(const std::vector<cql::token>& tokens) {
  std::vector<column> out;
  std::size_t i = 1;
  while (i < tokens.size() && (tokens[i].is_keyword("DISTINCT") || tokens[i].is_keyword("JSON"))) {
    ++i;
  }
  std::string item;
  std::string alias;
  int depth = 0;
  auto flush = [&] {
    if (item == "*") {
      out.push_back({"k", simple(type_id::bigint)});
      out.push_back({"v", simple(type_id::blob)});
    } else if (!item.empty() || !alias.empty()) {
      const std::string name = alias.empty() ? item : alias;
      out.push_back({name, type_for(name)});
    }
    item.clear();
    alias.clear();
  };
  for (; i < tokens.size(); ++i) {
    const auto& t = tokens[i];
    if (depth == 0 && t.is_keyword("FROM")) {
      break;
    }
    if (t.is_punct("(")) {
      ++depth;
    } else if (t.is_punct(")")) {
      --depth;
    }
    if (depth == 0 && t.is_punct(",")) {
      flush();
      continue;
    }
    if (depth == 0 && t.is_keyword("AS") && i + 1 < tokens.size()) {
      alias = std::string(tokens[++i].text);
      continue;
    }
    item += lower(t.text);
  }
  flush();
  return out;
}

// The name and type of each bind marker, from what stands next to it.
std::vector<column> marker_columns(const std::vector<cql::token>& tokens, cql::statement_kind kind) {
  std::vector<std::string> insert_columns;
  std::size_t values_at = tokens.size();
  if (kind == cql::statement_kind::insert) {
    std::size_t i = 0;
    while (i < tokens.size() && !tokens[i].is_punct("(")) {
      ++i;
    }
    for (++i; i < tokens.size() && !tokens[i].is_punct(")"); ++i) {
      if (tokens[i].is_name()) {
        insert_columns.push_back(lower(tokens[i].text));
      }
    }
    values_at = i;
  }
  std::vector<column> out;
  std::size_t value_index = 0;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const auto& t = tokens[i];
    if (t.kind == cql::token_kind::named_marker) {
      std::string name(t.text.substr(1));
      out.push_back({name, type_for(name)});
      continue;
    }
    if (t.kind != cql::token_kind::positional_marker) {
      continue;
    }
    std::string name = "[bind" + std::to_string(out.size()) + "]";
    const cql::token* before = i > 0 ? &tokens[i - 1] : nullptr;
    if (i > values_at && value_index < insert_columns.size() && before &&
        (before->is_punct("(") || before->is_punct(","))) {
      name = insert_columns[value_index++];
    } else if (before && before->is_keyword("LIMIT")) {
      name = "[limit]";
    } else if (before && before->is_keyword("TTL")) {
      name = "[ttl]";
    } else if (before && before->is_keyword("TIMESTAMP")) {
      name = "[timestamp]";
    } else if (i >= 2 && tokens[i - 2].is_name() && before->kind == cql::token_kind::punctuation) {
      name = lower(tokens[i - 2].text);
    }
    out.push_back({name, type_for(name)});
  }
  return out;
}

}  // namespace

std::array<std::byte, 16> statement_id(std::string_view keyspace, std::string_view text) {
  const std::uint64_t a = fnv1a(keyspace, text, 0xCBF29CE484222325ull);
  const std::uint64_t b = fnv1a(text, keyspace, 0x84222325CBF29CE4ull);
  std::array<std::byte, 16> id{};
  for (int i = 0; i < 8; ++i) {
    id[static_cast<std::size_t>(i)] = static_cast<std::byte>((a >> (56 - 8 * i)) & 0xFF);
    id[static_cast<std::size_t>(8 + i)] = static_cast<std::byte>((b >> (56 - 8 * i)) & 0xFF);
  }
  return id;
}

protocol::result_message answer_query(std::string_view text, const stub_identity& who,
                                      std::string& keyspace_out) {
  auto info = cql::classify(text);
  if (!info) {
    return protocol::void_result{};
  }
  switch (info->kind) {
    case cql::statement_kind::use:
      keyspace_out = info->keyspace;
      return protocol::set_keyspace_result{info->keyspace};
    case cql::statement_kind::select: {
      if (info->keyspace == "system" && info->table == "local") {
        return system_local(who);
      }
      if (info->keyspace == "system" && (info->table == "peers" || info->table == "peers_v2")) {
        return system_peers(info->table);
      }
      auto rows = make_rows(info->keyspace, info->table, selected_columns(cql::tokenize(text)));
      if (info->keyspace.rfind("system", 0) != 0 && !rows.metadata.columns.empty()) {
        protocol::result_row row;
        for (const auto& c : rows.metadata.columns) {
          row.push_back(cell_for(c.type, who.row_size));
        }
        rows.rows.push_back(std::move(row));
      }
      return rows;
    }
    default: break;
  }
  if (info->conditional) {
    return applied_row(info->keyspace, info->table);
  }
  return protocol::void_result{};
}

stub_statement prepare_statement(std::string_view text, std::string_view keyspace,
                                 protocol::protocol_version v, const stub_identity& who) {
  stub_statement out;
  const auto tokens = cql::tokenize(text);
  auto info = cql::classify(text);
  const auto kind = info ? info->kind : cql::statement_kind::other;
  const std::string ks = info && !info->keyspace.empty() ? info->keyspace : std::string(keyspace);
  const std::string table = info ? info->table : std::string();
  const auto id = statement_id(keyspace, text);

  protocol::prepared_result p;
  p.id.assign(id.begin(), id.end());
  p.metadata.flags = protocol::metadata_flags::global_tables_spec;
  const auto markers = marker_columns(tokens, kind);
  for (std::size_t i = 0; i < markers.size(); ++i) {
    p.metadata.columns.push_back({ks, table, markers[i].name, markers[i].type});
    if (is_key_name(markers[i].name) && markers[i].name.front() != '[') {
      p.metadata.pk_indexes.push_back(static_cast<std::uint16_t>(i));
    }
  }
  protocol::result_message answer = protocol::void_result{};
  out.is_read = kind == cql::statement_kind::select;
  if (out.is_read) {
    std::string unused;
    answer = answer_query(text, who, unused);
    if (auto* rows = std::get_if<protocol::rows_result>(&answer)) {
      p.result_metadata = rows->metadata;
    }
  } else if (info && info->conditional) {
    answer = applied_row(ks, table);
    p.result_metadata = std::get<protocol::rows_result>(answer).metadata;
  }
  std::string shape;
  for (const auto& c : p.result_metadata.columns) {
    shape += c.name + ":" + std::to_string(static_cast<int>(c.type.id)) + ",";
  }
  if (v == protocol::protocol_version::v5) {
    const auto md = statement_id("result-metadata", shape);
    p.result_metadata_id.assign(md.begin(), md.end());
  }
  out.prepared_body = protocol::encode_result(protocol::result_message{p}, v);
  out.answer_body = protocol::encode_result(answer, v);
  if (auto* rows = std::get_if<protocol::rows_result>(&answer)) {
    protocol::rows_result bare = *rows;
    bare.metadata.flags = protocol::metadata_flags::no_metadata;
    bare.metadata.columns.clear();
    out.answer_body_no_metadata = protocol::encode_result(protocol::result_message{bare}, v);
  } else {
    out.answer_body_no_metadata = out.answer_body;
  }
  return out;
}

}  // namespace tandem::bench
