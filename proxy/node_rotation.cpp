#include "proxy/node_rotation.hpp"

#include <algorithm>

namespace tandem::proxy {

void node_rotation::set_nodes(std::vector<client::cluster_endpoint> nodes) {
  nodes_ = std::move(nodes);
  std::erase_if(down_, [&](const mark& m) {
    return std::find(nodes_.begin(), nodes_.end(), m.node) == nodes_.end();
  });
}

bool node_rotation::is_down(const client::cluster_endpoint& e, clock::time_point now) const {
  return std::any_of(down_.begin(), down_.end(),
                     [&](const mark& m) { return m.node == e && now - m.at < retry_after_; });
}

client::cluster_endpoint node_rotation::next(clock::time_point now) {
  for (std::size_t tried = 0; tried < nodes_.size(); ++tried) {
    const auto& candidate = nodes_[turn_++ % nodes_.size()];
    if (!is_down(candidate, now)) {
      return candidate;
    }
  }
  // Every node is marked: the one marked longest ago has had the most time to come back.
  const auto oldest = std::min_element(down_.begin(), down_.end(),
                                       [](const mark& a, const mark& b) { return a.at < b.at; });
  return oldest != down_.end() ? oldest->node : nodes_[turn_++ % nodes_.size()];
}

void node_rotation::mark_down(const client::cluster_endpoint& e, clock::time_point now) {
  for (auto& m : down_) {
    if (m.node == e) {
      m.at = now;
      return;
    }
  }
  down_.push_back(mark{e, now});
}

void node_rotation::mark_up(const client::cluster_endpoint& e) {
  std::erase_if(down_, [&](const mark& m) { return m.node == e; });
}

}  // namespace tandem::proxy
