#include "proxy/metrics_export.hpp"

#include "protocol/frame.hpp"

namespace tandem::proxy {
namespace {

using labels = prometheus_writer::labels;

// Opcode names for the per-cluster request counter (spec v4 §2.4; requests only).
const char* request_opcode_name(std::size_t op) {
  switch (op) {
    case 0x01: return "STARTUP";
    case 0x05: return "OPTIONS";
    case 0x07: return "QUERY";
    case 0x09: return "PREPARE";
    case 0x0A: return "EXECUTE";
    case 0x0B: return "REGISTER";
    case 0x0D: return "BATCH";
    case 0x0F: return "AUTH_RESPONSE";
    default: return nullptr;
  }
}

void counter(prometheus_writer& w, std::string_view name, std::string_view help,
             std::uint64_t value) {
  w.family(name, "counter", help);
  w.sample(name, {}, value);
}

void gauge(prometheus_writer& w, std::string_view name, std::string_view help, double value) {
  w.family(name, "gauge", help);
  w.sample(name, {}, value);
}

}  // namespace

std::string render_metrics(const proxy_context& ctx) {
  const auto st = ctx.stats.snapshot();
  prometheus_writer w;

  counter(w, "tandem_client_connections_opened_total", "Client connections accepted.",
          st.client_connections_opened);
  counter(w, "tandem_client_connections_closed_total", "Client connections closed.",
          st.client_connections_closed);
  gauge(w, "tandem_client_connections", "Client connections open now.",
        static_cast<double>(st.client_connections_opened -
                            std::min(st.client_connections_opened,
                                     st.client_connections_closed)));
  gauge(w, "tandem_requests_in_flight", "Client requests being served now.",
        static_cast<double>(ctx.requests_in_flight.load()));

  w.family("tandem_requests_total", "counter",
           "Client requests by kind: read (primary only), write (both), ddl (both), prepare, "
           "topology (answered by the proxy), other.");
  w.sample("tandem_requests_total", {{"kind", "read"}}, st.requests_read);
  w.sample("tandem_requests_total", {{"kind", "write"}}, st.requests_write);
  w.sample("tandem_requests_total", {{"kind", "ddl"}}, st.requests_ddl);
  w.sample("tandem_requests_total", {{"kind", "prepare"}}, st.requests_prepare);
  w.sample("tandem_requests_total", {{"kind", "topology"}}, st.requests_topology);
  w.sample("tandem_requests_total", {{"kind", "other"}}, st.requests_other);

  w.family("tandem_cluster_requests_total", "counter",
           "Requests the proxy sent to each cluster, by opcode.");
  const auto requests = ctx.cluster_requests.read();
  for (cluster c : {cluster::source, cluster::target}) {
    const auto& row = requests[static_cast<std::size_t>(c)];
    for (std::size_t op = 0; op < row.size(); ++op) {
      if (const char* name = request_opcode_name(op)) {
        w.sample("tandem_cluster_requests_total", {{"cluster", cluster_name(c)}, {"opcode", name}},
                 row[op]);
      }
    }
  }

  w.family("tandem_cluster_request_duration_seconds", "histogram",
           "Time from sending a request to a cluster to its answer.");
  for (cluster c : {cluster::source, cluster::target}) {
    w.histogram("tandem_cluster_request_duration_seconds", {{"cluster", cluster_name(c)}},
                ctx.cluster_latency[static_cast<std::size_t>(c)].read());
  }
  w.family("tandem_client_request_duration_seconds", "histogram",
           "Time from reading a client request to queueing its answer.");
  w.histogram("tandem_client_request_duration_seconds", {}, ctx.client_latency.read());

  w.family("tandem_cluster_errors_total", "counter",
           "Requests to a cluster that failed, by cluster and error (the protocol error code's "
           "name, or proxy_timeout, connection_lost, proxy_overloaded, proxy_rewrite).");
  for (const auto& e : ctx.cluster_errors.read()) {
    w.sample("tandem_cluster_errors_total",
             {{"cluster", cluster_name(e.c)}, {"error", std::string(e.error)}}, e.count);
  }

  w.family("tandem_mirrored_write_rejected_total", "counter",
           "Mirrored requests that both clusters refused with an error (the primary's code): "
           "the same answer on both is agreement, not a target failure.");
  for (const auto& e : ctx.mirrored_rejected.read()) {
    w.sample("tandem_mirrored_write_rejected_total",
             {{"primary", cluster_name(e.c)}, {"code", std::string(e.error)}}, e.count);
  }

  if (ctx.journal) {
    const auto js = ctx.journal->state();
    auto& jc = ctx.journal->counters();
    const auto now = client::write_clock::system_now_us();
    gauge(w, "tandem_journal_pending_records", "Journaled writes the secondary has not confirmed.",
          js.pending_records);
    gauge(w, "tandem_journal_pending_bytes", "Bytes of the journal's pending records.",
          js.pending_bytes);
    gauge(w, "tandem_journal_oldest_pending_seconds", "Age of the oldest pending record.",
          js.oldest_pending_us == 0 ? 0.0 : static_cast<double>(now - js.oldest_pending_us) / 1e6);
    gauge(w, "tandem_journal_replay_concurrency", "Replayed writes the replayer allows in flight.",
          ctx.journal_replay_limit.load());
    counter(w, "tandem_journal_appended_total", "Records given to the journal.", jc.appended.load());
    counter(w, "tandem_journal_written_total", "Records written to disk and synced.",
            jc.written.load());
    counter(w, "tandem_journal_skipped_total",
            "Records the secondary confirmed before the group commit: never written.",
            jc.skipped.load());
    counter(w, "tandem_journal_replayed_total", "Records the replayer delivered.",
            jc.replayed.load());
    counter(w, "tandem_journal_dead_lettered_total",
            "Records the secondary refused for good (dead-letters.jsonl).", jc.dead_lettered.load());
    counter(w, "tandem_journal_unsafe_total",
            "Records not replayed (counter, LWT): their tables need a validation.",
            jc.unsafe_marked.load());
    counter(w, "tandem_journal_replay_backoffs_total",
            "Times the replayer halved its concurrency (Overloaded, timeouts) and backed off.",
            jc.replay_backoffs.load());
    counter(w, "tandem_journal_torn_dropped_total", "Torn records dropped when opening.",
            jc.torn_dropped.load());
    counter(w, "tandem_journal_refused_full_total", "Appends refused at journal.max_bytes.",
            jc.refused_full.load());
    counter(w, "tandem_journal_disk_errors_total", "Journal writes or syncs that failed.",
            jc.disk_errors.load());
    counter(w, "tandem_journal_fsyncs_total", "Group commits (one fdatasync each).",
            jc.fsyncs.load());
    w.family("tandem_journal_fsync_duration_seconds", "histogram",
             "Time of one group commit's write and fdatasync.");
    w.histogram("tandem_journal_fsync_duration_seconds", {}, jc.fsync_latency.read());
  }

  counter(w, "tandem_target_write_failures_total",
          "Mirrored writes the primary applied (or did not answer) that failed or timed out on "
          "the secondary; a write the primary refused is never one.",
          st.target_write_failures);
  counter(w, "tandem_source_failures_total", "Requests that failed or timed out on the source.",
          st.source_failures);
  counter(w, "tandem_source_failovers_total",
          "Client source connections lost (a node died) and opened again on another node.",
          st.source_failovers);
  counter(w, "tandem_token_aware_requests_total",
          "Requests (per cluster leg) sent to a node holding a replica of their partition.",
          st.token_routed);
  counter(w, "tandem_token_aware_fallbacks_total",
          "Token-aware requests sent over the client's own connection because no replica of "
          "their partition could be reached.",
          st.token_route_fallbacks);
  counter(w, "tandem_injected_timestamps_total",
          "Writes given the proxy's timestamp on both clusters.", st.injected_timestamps);
  counter(w, "tandem_replaced_functions_total",
          "now(), uuid() and similar calls given one value for both clusters.",
          st.replaced_functions);
  counter(w, "tandem_client_protocol_errors_total",
          "Malformed or unsupported frames from clients (each closes its connection).",
          st.client_protocol_errors);
  counter(w, "tandem_client_tls_failures_total",
          "Client connections that failed the TLS handshake.", st.client_tls_failures);
  counter(w, "tandem_reprepared_total", "Statements prepared again after UNPREPARED.",
          st.reprepared);
  counter(w, "tandem_prepared_cache_misses_total",
          "EXECUTEs of an id the proxy no longer knows (the driver prepares again).",
          st.prepared_cache_misses);
  gauge(w, "tandem_prepared_statements", "Prepared statements the proxy keeps ids for.",
        static_cast<double>(ctx.prepared.size()));
  counter(w, "tandem_prepared_evictions_total",
          "Prepared statements evicted from the proxy's map (limits.prepared_cache_size).",
          ctx.prepared.evictions());

  counter(w, "tandem_shadow_reads_total",
          "Reads also sent to the secondary and compared row by row.", st.shadow_reads);
  counter(w, "tandem_shadow_read_mismatches_total",
          "Shadow reads whose rows differed between the clusters.",
          st.shadow_read_mismatches);
  counter(w, "tandem_shadow_read_failures_total",
          "Shadow reads that failed on the secondary.", st.shadow_read_failures);
  counter(w, "tandem_paged_reads_kept_total",
          "Next pages read from the cluster that began the read, after a flip.",
          st.paged_reads_kept);
  counter(w, "tandem_routing_changes_total", "Changes of the primary through the admin API.",
          st.routing_changes);

  w.family("tandem_primary", "gauge", "1 for the cluster that answers reads, 0 for the other.");
  const cluster primary = ctx.primary.load();
  for (cluster c : {cluster::source, cluster::target}) {
    w.sample("tandem_primary", {{"cluster", cluster_name(c)}}, c == primary ? 1.0 : 0.0);
  }
  w.family("tandem_cluster_up", "gauge",
           "1 when the cluster answered the proxy's last health check, 0 otherwise.");
  for (cluster c : {cluster::source, cluster::target}) {
    w.sample("tandem_cluster_up", {{"cluster", cluster_name(c)}},
             ctx.reachable[static_cast<std::size_t>(c)].load() ? 1.0 : 0.0);
  }
  gauge(w, "tandem_shadow_read_sample_ratio", "Share of reads shadowed to the secondary.",
        ctx.shadow_sample.load());
  gauge(w, "tandem_t0_seconds",
        "T0, the first mirrored write's timestamp, as recorded on the target (0 until then).",
        static_cast<double>(ctx.t0_recorded.load()) / 1e6);
  gauge(w, "tandem_uptime_seconds", "Time since the proxy started.",
        std::chrono::duration<double>(std::chrono::steady_clock::now() - ctx.started).count());
  return w.text();
}

}  // namespace tandem::proxy
