#include "client/replica_clients.hpp"

#include <algorithm>

namespace tandem::client {

namespace {
// How long a node that refused a connection is not asked again.
constexpr auto unreachable_for = std::chrono::seconds(10);
}  // namespace

std::vector<std::string> readable_replicas(const token_map& ring, const std::string& keyspace,
                                           std::int64_t token,
                                           const std::vector<cluster_endpoint>& reachable,
                                           std::uint16_t port) {
  std::vector<std::string> out;
  for (const auto& r : ring.replicas(keyspace, token)) {
    if (r.port == port && std::find(reachable.begin(), reachable.end(), r) != reachable.end()) {
      out.push_back(r.host);
    }
  }
  return out;
}

asio::awaitable<std::shared_ptr<cql_client>> replica_clients::for_token(const std::string& keyspace,
                                                                        std::int64_t token) {
  std::vector<std::string> replicas;
  if (o_.ring) {
    replicas = readable_replicas(*o_.ring, keyspace, token, o_.reachable, o_.settings.port);
  }
  if (!replicas.empty()) {
    std::rotate(replicas.begin(),
                replicas.begin() + static_cast<std::ptrdiff_t>(o_.spread % replicas.size()),
                replicas.end());
  }
  const auto now = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < replicas.size(); ++i) {
    const auto& host = replicas[i];
    if (fallback_ && fallback_->is_open() && fallback_->host() == host) {
      ++on_replica_;
      co_return fallback_;
    }
    if (auto it = open_.find(host); it != open_.end()) {
      // A connection that lost its node goes on with another one (cql_client::reopen): still
      // right, but no longer a replica's; it is used while it is the one this node has.
      if (it->second->host() == host) {
        ++on_replica_;
      } else {
        ++elsewhere_;
      }
      co_return it->second;
    }
    if (auto it = unreachable_until_.find(host); it != unreachable_until_.end() && now < it->second) {
      continue;
    }
    // When the node dies later, its connection goes on with the other replicas, then the rest.
    std::vector<std::string> others(replicas.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                                    replicas.end());
    others.insert(others.end(), replicas.begin(), replicas.begin() + static_cast<std::ptrdiff_t>(i));
    if (auto opened = co_await open_to(host, others)) {
      ++on_replica_;
      co_return opened;
    }
    unreachable_until_[host] = now + unreachable_for;
    unreachable_seen_.insert(host);
  }
  ++elsewhere_;
  co_return fallback_;
}

asio::awaitable<std::shared_ptr<cql_client>> replica_clients::open_to(
    const std::string& host, const std::vector<std::string>& others) {
  std::vector<std::string> nodes{host};
  nodes.insert(nodes.end(), others.begin(), others.end());
  auto opened = co_await cql_client::open(o_.ex, o_.settings, o_.tls, o_.name, std::move(nodes));
  if (!opened || !opened.value->get()->is_open() || opened.value->get()->host() != host) {
    if (opened) {
      opened.value->get()->close();
    }
    co_return nullptr;
  }
  open_[host] = *opened.value;
  co_return *opened.value;
}

std::uint64_t replica_clients::reopened() const noexcept {
  std::uint64_t n = 0;
  for (const auto& [host, c] : open_) {
    n += c->reopened();
  }
  return n;
}

void replica_clients::close() {
  for (auto& [host, c] : open_) {
    c->close();
  }
  open_.clear();
}

}  // namespace tandem::client
