#include "proxy/cluster_probe.hpp"

namespace tandem::proxy {

topology_settings make_topology(const config& cfg, const probe_outcome& source) {
  topology_settings t;
  for (const auto& i : cfg.proxy.instances) {
    t.instances.push_back(proxy_instance{i.address.to_string(), i.port});
  }
  for (std::size_t i = 0; i < cfg.proxy.instances.size(); ++i) {
    const auto& inst = cfg.proxy.instances[i];
    if (inst.address == cfg.proxy.listen_address && inst.port == cfg.proxy.listen_port) {
      t.self_index = i;
    }
  }
  if (source.ok) {
    t.data_center = source.data_center.empty() ? t.data_center : source.data_center;
    t.rack = source.rack.empty() ? t.rack : source.rack;
    t.release_version = source.release_version.empty() ? t.release_version : source.release_version;
    t.cluster_name = source.cluster_name.empty() ? t.cluster_name : source.cluster_name;
    t.partitioner = source.partitioner.empty() ? t.partitioner : source.partitioner;
  }
  if (!cfg.proxy.data_center.empty()) {
    t.data_center = cfg.proxy.data_center;
  }
  return t;
}

}  // namespace tandem::proxy
