#include "client/token_map.hpp"

#include "protocol/wire_reader.hpp"

#include <algorithm>
#include <charconv>

namespace tandem::client {

token_map::token_map(std::vector<token_owner> nodes,
                     std::map<std::string, protocol::replication> keyspaces)
    : ring_([&] {
        std::vector<protocol::ring_node> ring;
        for (auto& n : nodes) {
          ring.push_back({n.data_center, n.rack, n.tokens});
        }
        return ring;
      }()) {
  for (auto& n : nodes) {
    endpoints_.push_back(std::move(n.endpoint));
  }
  for (const auto& [keyspace, r] : keyspaces) {
    auto same = std::find_if(tables_.begin(), tables_.end(),
                             [&](const replica_table& t) { return t.replication == r; });
    if (same == tables_.end()) {
      replica_table t{r, {}};
      t.by_position.reserve(ring_.positions());
      for (std::size_t p = 0; p < ring_.positions(); ++p) {
        std::vector<cluster_endpoint> owners;
        for (auto i : ring_.replicas_at(p, r)) {
          owners.push_back(endpoints_[i]);
        }
        t.by_position.push_back(std::move(owners));
      }
      tables_.push_back(std::move(t));
      same = tables_.end() - 1;
    }
    table_of_.emplace(keyspace, static_cast<std::size_t>(same - tables_.begin()));
  }
}

std::span<const cluster_endpoint> token_map::replicas(const std::string& keyspace,
                                                      std::int64_t token) const {
  const auto it = table_of_.find(keyspace);
  if (it == table_of_.end() || ring_.positions() == 0) {
    return {};
  }
  return tables_[it->second].by_position[ring_.position_of(token)];
}

namespace {

// [int] n, then n [bytes] (a set/list), or 2n [bytes] (a map): the elements as text.
std::optional<std::vector<std::string>> elements(protocol::bytes_view cell, int per_entry) {
  protocol::wire_reader r(cell);
  auto n = r.read_int();
  if (!n || *n < 0 || static_cast<std::size_t>(*n) > cell.size()) {
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (std::int32_t i = 0; i < *n * per_entry; ++i) {
    auto e = r.read_bytes();
    if (!e || !*e) {
      return std::nullopt;
    }
    out.emplace_back(reinterpret_cast<const char*>((*e)->data()), (*e)->size());
  }
  if (!r.empty()) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

std::vector<std::string> text_collection(protocol::bytes_view cell) {
  return elements(cell, 1).value_or(std::vector<std::string>{});
}

std::map<std::string, std::string> text_map(protocol::bytes_view cell) {
  std::map<std::string, std::string> out;
  auto e = elements(cell, 2);
  if (!e) {
    return out;
  }
  for (std::size_t i = 0; i + 1 < e->size(); i += 2) {
    out[(*e)[i]] = (*e)[i + 1];
  }
  return out;
}

std::optional<std::int64_t> murmur3_token_of_text(std::string_view text) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return v;
}

std::vector<std::int64_t> murmur3_tokens(const std::vector<std::string>& texts) {
  std::vector<std::int64_t> out;
  for (const auto& t : texts) {
    if (const auto v = murmur3_token_of_text(t)) {
      out.push_back(*v);
    }
  }
  return out;
}

std::map<std::string, protocol::replication> keyspace_replication(const protocol::rows_result& rows) {
  std::map<std::string, protocol::replication> out;
  std::optional<std::size_t> name_at;
  std::optional<std::size_t> replication_at;
  for (std::size_t i = 0; i < rows.metadata.columns.size(); ++i) {
    if (rows.metadata.columns[i].name == "keyspace_name") name_at = i;
    if (rows.metadata.columns[i].name == "replication") replication_at = i;
  }
  if (!name_at || !replication_at) {
    return out;
  }
  for (const auto& row : rows.rows) {
    if (row.size() <= std::max(*name_at, *replication_at) || !row[*name_at] || !row[*replication_at]) {
      continue;
    }
    const std::string name(reinterpret_cast<const char*>(row[*name_at]->data()), row[*name_at]->size());
    if (auto r = protocol::parse_replication(text_map(*row[*replication_at]))) {
      out[name] = *r;
    }
  }
  return out;
}

}  // namespace tandem::client
