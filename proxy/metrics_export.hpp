// The proxy's metrics in the Prometheus text format, for GET /metrics on the admin port.
// Names follow the Prometheus conventions: the tandem_ prefix, _total on counters, base units
// (_seconds), labels for the cluster, the kind of request and the error.
#pragma once

#include "proxy/proxy_context.hpp"

#include <string>

namespace tandem::proxy {

std::string render_metrics(const proxy_context& ctx);

}  // namespace tandem::proxy
