// Counters the proxy keeps while it serves. Each thread that counts (every worker) has a block of
// its own, on cache lines of its own, and is its block's only writer: a count is a plain load and
// store, no locked instruction and no cache line passed between cores on the request path
// (issue 17). Reading sums the blocks (/metrics, the JSON API, the status history).
#pragma once

#include "proxy/per_thread_blocks.hpp"

#include <cstdint>

namespace tandem::proxy {

// X-macro: each counter declared once, so the exporter and the struct cannot drift apart.
#define TANDEM_PROXY_COUNTERS(X)                                                          \
  X(client_connections_opened, "client connections accepted")                             \
  X(client_connections_closed, "client connections closed")                               \
  X(client_protocol_errors, "malformed or unsupported frames from clients")               \
  X(client_tls_failures, "client connections that failed the TLS handshake")             \
  X(journaled_failures, "failed secondary writes the journal holds for replay")           \
  X(journal_write_errors, "writes answered with an error: neither the secondary nor the journal took them") \
  X(journal_gap_writes, "writes the full journal could not keep (journal.on_full: record_gap)") \
  X(requests_read, "reads sent to the primary only")                                      \
  X(requests_write, "writes mirrored to both clusters")                                   \
  X(requests_ddl, "schema changes sent to both clusters")                                 \
  X(requests_prepare, "PREPARE requests")                                                 \
  X(requests_other, "other requests")                                                     \
  X(requests_topology, "system.local/peers queries answered by the proxy")               \
  X(injected_timestamps, "writes given the proxy's timestamp")                            \
  X(replaced_functions, "now()/uuid()-like calls replaced by literals")                  \
  X(target_write_failures, "mirrored writes that failed or timed out on the target")      \
  X(source_failures, "requests that failed or timed out on the source")                   \
  X(source_failovers, "client source connections lost and opened again on another node") \
  X(reprepared, "statements re-prepared after UNPREPARED")                                \
  X(token_routed, "requests sent to a replica of their partition (token-aware routing)")  \
  X(token_route_fallbacks, "token-aware requests sent on the client's connection: no replica reachable") \
  X(prepared_cache_misses, "EXECUTE of an id the proxy does not know (client re-prepares)") \
  X(paged_reads_kept, "paged reads continued on the cluster that began them after a flip")  \
  X(shadow_reads, "reads also sent to the other cluster and compared")                     \
  X(shadow_read_mismatches, "shadow reads whose rows differed between the clusters")       \
  X(shadow_read_failures, "shadow reads that failed on the other cluster")                 \
  X(routing_changes, "changes of the primary through the admin API")

// One thread's counters.
struct alignas(64) proxy_counter_block {
#define TANDEM_DECLARE_COUNTER(name, help) local_counter name;
  TANDEM_PROXY_COUNTERS(TANDEM_DECLARE_COUNTER)
#undef TANDEM_DECLARE_COUNTER
};

// Every counter summed over the threads, at one moment.
struct proxy_counts {
#define TANDEM_DECLARE_COUNT(name, help) std::uint64_t name = 0;
  TANDEM_PROXY_COUNTERS(TANDEM_DECLARE_COUNT)
#undef TANDEM_DECLARE_COUNT
};

class proxy_stats {
 public:
  // The calling thread's block, made on the thread's first count: bump(stats.local().name).
  proxy_counter_block& local() { return blocks_.local(); }
  proxy_counts snapshot() const;

 private:
  per_thread_blocks<proxy_counter_block> blocks_;
};

}  // namespace tandem::proxy
