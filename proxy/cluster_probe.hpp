// At start-up the proxy asks the source who it is (client/cluster_probe.hpp: system.local):
// the data center, rack, release and cluster name that the proxy's own topology answers then
// report, so drivers' data-center-aware policies and version checks behave as they would
// against the source.
#pragma once

#include "client/cluster_probe.hpp"
#include "proxy/config.hpp"
#include "proxy/topology.hpp"

namespace tandem::proxy {

using client::probe_cluster;
using client::probe_cluster_async;
using client::probe_outcome;

// The topology the proxy reports: the configured instances (this one found by its listen
// address and port), with the source's identity where the probe succeeded.
topology_settings make_topology(const config& cfg, const probe_outcome& source);

}  // namespace tandem::proxy
