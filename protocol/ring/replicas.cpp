#include "protocol/ring/replicas.hpp"

#include <algorithm>
#include <charconv>
#include <set>

namespace tandem::protocol {

namespace {

std::optional<std::size_t> factor_of(const std::string& text) {
  // "3" or, with transient replication, "3/1": the full replicas are the first number.
  std::size_t v = 0;
  const char* end = text.data() + text.size();
  const auto [at, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc{} || at == text.data() || (at != end && *at != '/')) {
    return std::nullopt;
  }
  return v;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::optional<replication> parse_replication(const std::map<std::string, std::string>& options) {
  const auto cls = options.find("class");
  if (cls == options.end()) {
    return std::nullopt;
  }
  replication r;
  if (ends_with(cls->second, "SimpleStrategy")) {
    const auto rf = options.find("replication_factor");
    const auto f = rf == options.end() ? std::nullopt : factor_of(rf->second);
    if (!f) {
      return std::nullopt;
    }
    r.kind = replication::strategy::simple;
    r.factor = *f;
    return r;
  }
  if (ends_with(cls->second, "NetworkTopologyStrategy")) {
    r.kind = replication::strategy::network_topology;
    for (const auto& [key, value] : options) {
      if (key == "class") continue;
      const auto f = factor_of(value);
      if (!f) {
        return std::nullopt;
      }
      r.per_datacenter[key] = *f;
    }
    return r;
  }
  if (ends_with(cls->second, "LocalStrategy")) {
    r.kind = replication::strategy::local;
    return r;
  }
  if (ends_with(cls->second, "EverywhereStrategy")) {
    r.kind = replication::strategy::everywhere;
    return r;
  }
  return std::nullopt;
}

token_ring::token_ring(std::vector<ring_node> nodes) : nodes_(std::move(nodes)) {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    for (auto t : nodes_[i].tokens) {
      ring_.emplace_back(t, i);
    }
  }
  std::sort(ring_.begin(), ring_.end());
}

std::vector<std::size_t> token_ring::replicas(std::int64_t token, const replication& r) const {
  return replicas_at(position_of(token), r);
}

std::size_t token_ring::position_of(std::int64_t token) const noexcept {
  // The first ring token >= token owns it; past the largest, the ring wraps to the smallest.
  auto first = std::lower_bound(ring_.begin(), ring_.end(), std::make_pair(token, std::size_t{0}),
                                [](const auto& a, const auto& b) { return a.first < b.first; });
  return first == ring_.end() ? 0 : static_cast<std::size_t>(first - ring_.begin());
}

std::vector<std::size_t> token_ring::replicas_at(std::size_t position, const replication& r) const {
  std::vector<std::size_t> out;
  if (ring_.empty() || position >= ring_.size()) {
    return out;
  }
  const std::size_t start = position;
  auto walk = [&](auto&& take) {
    for (std::size_t i = 0; i < ring_.size(); ++i) {
      if (take(ring_[(start + i) % ring_.size()].second)) {
        return;
      }
    }
  };
  std::vector<bool> chosen(nodes_.size(), false);
  auto add = [&](std::size_t node) {
    if (!chosen[node]) {
      chosen[node] = true;
      out.push_back(node);
    }
  };
  switch (r.kind) {
    case replication::strategy::local:
    case replication::strategy::everywhere:
    case replication::strategy::simple: {
      const std::size_t want = r.kind == replication::strategy::simple
                                   ? std::min(r.factor, nodes_.size())
                                   : nodes_.size();
      walk([&](std::size_t node) {
        add(node);
        return out.size() >= want;
      });
      break;
    }
    case replication::strategy::network_topology: {
      // Per datacenter: how many it wants (at most its nodes), its racks, what it holds so far.
      struct dc_state {
        std::size_t want = 0;
        std::size_t have = 0;
        std::set<std::string> racks;
        std::set<std::string> seen_racks;
        std::vector<std::size_t> passed_over;
      };
      std::map<std::string, dc_state> dcs;
      for (const auto& [dc, rf] : r.per_datacenter) {
        auto& d = dcs[dc];
        std::size_t nodes = 0;
        for (const auto& n : nodes_) {
          if (n.datacenter == dc) {
            ++nodes;
            d.racks.insert(n.rack);
          }
        }
        d.want = std::min(rf, nodes);
      }
      auto all_done = [&] {
        return std::all_of(dcs.begin(), dcs.end(), [](const auto& e) { return e.second.have >= e.second.want; });
      };
      if (all_done()) break;
      walk([&](std::size_t node) {
        auto it = dcs.find(nodes_[node].datacenter);
        if (it == dcs.end() || chosen[node]) return false;
        auto& d = it->second;
        if (d.have >= d.want) return false;
        const auto& rack = nodes_[node].rack;
        if (d.seen_racks.size() == d.racks.size()) {
          add(node);
          ++d.have;
        } else if (d.seen_racks.count(rack) != 0) {
          d.passed_over.push_back(node);
        } else {
          add(node);
          ++d.have;
          d.seen_racks.insert(rack);
          if (d.seen_racks.size() == d.racks.size()) {
            for (auto skipped : d.passed_over) {
              if (d.have >= d.want) break;
              add(skipped);
              ++d.have;
            }
          }
        }
        return all_done();
      });
      break;
    }
  }
  return out;
}

}  // namespace tandem::protocol
