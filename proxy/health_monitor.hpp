// Whether each cluster answers, for /health/ready and the status API: a connection per cluster
// sends OPTIONS every two seconds (allowed before STARTUP, spec v4 §4.1.3, so no credentials are
// needed); an answer within two seconds marks the cluster reachable, anything else unreachable
// with the reason, and the connection is opened again, to the next known node.
#pragma once

#include "proxy/proxy_context.hpp"

#include <boost/asio/awaitable.hpp>

#include <memory>

namespace tandem::proxy {

namespace asio = boost::asio;

inline constexpr std::chrono::seconds health_check_interval{2};

// Runs until the proxy stops.
asio::awaitable<void> monitor_cluster(std::shared_ptr<proxy_context> ctx, cluster c);

}  // namespace tandem::proxy
