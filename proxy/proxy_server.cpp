#include "proxy/proxy_server.hpp"

#include "proxy/client_session.hpp"
#include "proxy/admin_http.hpp"
#include "proxy/cluster_probe.hpp"
#include "proxy/health_monitor.hpp"
#include "proxy/routing_state.hpp"
#include "proxy/journal_replay.hpp"
#include "proxy/journal_facts_record.hpp"
#include "proxy/t0_record.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <stdexcept>
#include <unistd.h>
#include <thread>

namespace tandem::proxy {

namespace asio = boost::asio;
namespace {

using asio::as_tuple;
using asio::use_awaitable;

constexpr std::chrono::seconds node_refresh_interval{60};

struct worker {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  std::thread thread;
};

unsigned worker_count(const config& c) {
  if (c.proxy.worker_threads != 0) {
    return c.proxy.worker_threads;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acceptor,
                                  std::vector<std::unique_ptr<worker>>& workers,
                                  std::shared_ptr<proxy_context> ctx) {
  std::size_t next = 0;
  for (;;) {
    auto& w = *workers[next++ % workers.size()];
    auto [ec, socket] = co_await acceptor.async_accept(w.io, as_tuple(use_awaitable));
    if (ec == asio::error::operation_aborted) {
      co_return;
    }
    if (ec) {
      spdlog::warn("accept failed: {}", ec.message());
      continue;
    }
    const auto counts = ctx->stats.snapshot();  // per accept, not per request: the sum is fine
    const auto open = counts.client_connections_opened - counts.client_connections_closed;
    if (open >= ctx->cfg.limits.max_client_connections) {
      spdlog::warn("refusing a client: {} connections open (limits.max_client_connections)", open);
      continue;  // the socket closes as it goes out of scope
    }
    boost::system::error_code opt_ec;
    socket.set_option(asio::ip::tcp::no_delay(true), opt_ec);
    // The session must start on its worker's thread: everything it owns lives there.
    asio::post(w.io, [s = std::move(socket), ctx]() mutable {
      std::make_shared<client_session>(std::move(s), ctx)->start();
    });
  }
}

std::string describe(const std::vector<client::cluster_endpoint>& nodes) {
  std::string out;
  for (const auto& n : nodes) {
    out += (out.empty() ? "" : ", ") + n.host + ":" + std::to_string(n.port);
  }
  return out;
}

// Takes the nodes a probe discovered for cluster c, if it found any; says so when they change.
void adopt_nodes(proxy_context& ctx, cluster c, const probe_outcome& probe) {
  if (!probe.ok) {
    return;
  }
  ctx.set_identity(c, cluster_identity{probe.release_version, probe.cluster_name, probe.data_center});
  const auto& s = c == cluster::source ? ctx.cfg.source : ctx.cfg.target;
  if (probe.nodes.empty()) {
    spdlog::warn("{}: no node in data center '{}' ({}.local_data_center); connecting to the "
                 "contact points", cluster_name(c), s.local_data_center, cluster_name(c));
    return;
  }
  if (probe.nodes != ctx.nodes(c)) {
    spdlog::info("{} nodes: {}", cluster_name(c), describe(probe.nodes));
  }
  ctx.set_nodes(c, probe.nodes);
  if (probe.tokens && ctx.cfg.routing.token_aware) {
    ctx.set_token_map(c, probe.tokens);
  }
}

// Every minute: discovers the clusters' nodes again (nodes added, removed or moved).
asio::awaitable<void> refresh_nodes(std::shared_ptr<proxy_context> ctx) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  auto last = std::chrono::steady_clock::now();
  for (;;) {
    // Every minute, or within a second when a session met a keyspace the token maps do not
    // know yet (at most every 5 s: a client querying a keyspace that does not exist must not
    // make the proxy read the clusters without end).
    timer.expires_after(std::chrono::seconds(1));
    co_await timer.async_wait(as_tuple(use_awaitable));
    const auto since = std::chrono::steady_clock::now() - last;
    if (since < node_refresh_interval &&
        !(since >= std::chrono::seconds(5) && ctx->token_maps_stale.load())) {
      continue;
    }
    ctx->token_maps_stale.store(false);
    last = std::chrono::steady_clock::now();
    for (cluster c : {cluster::source, cluster::target}) {
      const auto& s = c == cluster::source ? ctx->cfg.source : ctx->cfg.target;
      std::vector<std::string> hosts;
      for (const auto& n : ctx->nodes(c)) {
        hosts.push_back(n.host);
      }
      hosts.insert(hosts.end(), s.contact_points.begin(), s.contact_points.end());
      auto probe = co_await probe_cluster_async(s, ctx->cluster_tls(c), std::string(cluster_name(c)),
                                                std::move(hosts));
      adopt_nodes(*ctx, c, probe);
    }
  }
}

}  // namespace

int run_proxy(std::shared_ptr<proxy_context> ctx) {
  const auto& cfg = ctx->cfg;
  if (!cfg.routing.state_file.empty()) {
    // The last choice made through the admin API wins over routing.primary.
    auto saved = read_routing_file(cfg.routing.state_file);
    if (!saved.error.empty()) {
      throw client::config_error("routing.state_file", "routing.state_file: " + saved.error +
                                                   " (fix or remove it)");
    }
    if (saved.primary) {
      ctx->primary.store(*saved.primary);
      spdlog::info("routing: primary {} (from {})", cluster_name(*saved.primary),
                   cfg.routing.state_file);
    }
  }
  const auto source = probe_cluster(cfg.source, ctx->source_tls, "source");
  if (source.ok) {
    spdlog::info("source: Cassandra {} cluster '{}', data center {}", source.release_version,
                 source.cluster_name, source.data_center);
  } else {
    spdlog::warn("source not reachable at start ({}); clients will get errors until it is",
                 source.error);
  }
  adopt_nodes(*ctx, cluster::source, source);
  const auto target = probe_cluster(cfg.target, ctx->target_tls, "target");
  if (target.ok) {
    spdlog::info("target: Cassandra {} cluster '{}', data center {}", target.release_version,
                 target.cluster_name, target.data_center);
  } else {
    spdlog::warn("target not reachable at start ({}); mirrored writes fail (and are counted) "
                 "until it is", target.error);
  }
  adopt_nodes(*ctx, cluster::target, target);
  ctx->topology = make_topology(cfg, source);
  {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    ctx->instance_name = std::string(host) + ":" + std::to_string(cfg.proxy.listen_port);
  }
  if (!cfg.journal.dir.empty()) {
    journal_options jo;
    jo.dir = cfg.journal.dir;
    jo.sync_interval = cfg.journal.sync_interval;
    jo.sync_bytes = cfg.journal.sync_bytes;
    jo.segment_bytes = cfg.journal.segment_bytes;
    jo.max_bytes = cfg.journal.max_bytes;
    ctx->journal = std::make_unique<journal>(jo);  // journal_error: reported by the caller
    spdlog::info("journal in {}: writes the {} has not confirmed are kept and replayed",
                 cfg.journal.dir, cluster_name(other_cluster(ctx->routing().primary)));
  } else if (cfg.routing.write_ack == write_ack_mode::source_authoritative) {
    spdlog::warn("journal.dir is not set: a mirrored write that fails on the target is counted "
                 "and logged only (run tandem validate --repair before cutover)");
  }
  // Declared before main_io so they outlive it: main_io's destructor destroys the pending
  // accept, which holds a socket of a worker's io_context.
  std::vector<std::unique_ptr<worker>> workers;
  asio::io_context main_io{1};
  asio::ip::tcp::endpoint listen(cfg.proxy.listen_address, cfg.proxy.listen_port);
  asio::ip::tcp::acceptor acceptor(main_io);
  boost::system::error_code ec;
  acceptor.open(listen.protocol(), ec);
  if (!ec) {
    acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
    acceptor.bind(listen, ec);
  }
  if (!ec) {
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    throw std::runtime_error("cannot listen on " + listen.address().to_string() + ":" +
                             std::to_string(listen.port()) + " (proxy.listen_address/listen_port): " +
                             ec.message());
  }

  for (unsigned i = 0; i < worker_count(cfg); ++i) {
    workers.push_back(std::make_unique<worker>());
  }
  for (auto& w : workers) {
    w->thread = std::thread([&io = w->io] { io.run(); });
  }
  spdlog::info("tandem proxy listening on {}:{} with {} worker threads; source {}, target {}, "
               "primary {}, write_ack {}",
               listen.address().to_string(), listen.port(), workers.size(),
               cfg.source.contact_points.front(), cfg.target.contact_points.front(),
               cluster_name(ctx->routing().primary), to_string(cfg.routing.write_ack));

  asio::co_spawn(main_io, accept_loop(acceptor, workers, ctx), asio::detached);
  const std::string recorded_by = "tandem proxy " + listen.address().to_string() + ":" +
                                  std::to_string(listen.port()) + " pid " +
                                  std::to_string(::getpid());
  asio::co_spawn(main_io, record_t0(ctx, recorded_by), asio::detached);
  asio::co_spawn(main_io, record_target_failures(ctx, recorded_by), asio::detached);
  asio::co_spawn(main_io, refresh_nodes(ctx), asio::detached);
  if (ctx->journal) {
    asio::co_spawn(main_io, replay_journal(ctx), asio::detached);
    asio::co_spawn(main_io, record_journal_facts(ctx), asio::detached);
  }
  asio::co_spawn(main_io, monitor_cluster(ctx, cluster::source), asio::detached);
  asio::co_spawn(main_io, monitor_cluster(ctx, cluster::target), asio::detached);
  auto backfill_control = backfill::make_control(cfg);
  asio::co_spawn(main_io, sample_status(ctx, backfill_control), asio::detached);
  auto admin = std::make_shared<admin_api>(ctx, backfill_control);
  auto admin_acceptor = start_admin_http(main_io, admin, cfg.admin);
  ctx->listening.store(true);
  spdlog::info("admin port on http://{}:{}/ ({})", cfg.admin.listen_address.to_string(),
               cfg.admin.listen_port,
               cfg.admin.bearer_token.empty() ? "no token" : "bearer token required");

  // SIGTERM: stop accepting, let in-flight requests finish (at most drain_timeout), then stop.
  asio::signal_set signals(main_io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code sec, int signo) {
    if (sec) {
      return;
    }
    spdlog::info("signal {}: no new clients; draining {} requests for up to {} ms", signo,
                 ctx->requests_in_flight.load(), cfg.limits.drain_timeout.count());
    boost::system::error_code ignored;
    acceptor.close(ignored);
    ctx->listening.store(false);
    asio::co_spawn(
        main_io,
        [&]() -> asio::awaitable<void> {
          const auto deadline = std::chrono::steady_clock::now() + cfg.limits.drain_timeout;
          asio::steady_timer tick(main_io);
          while (ctx->requests_in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline) {
            tick.expires_after(std::chrono::milliseconds(20));
            co_await tick.async_wait(use_awaitable);
          }
          main_io.stop();
        },
        asio::detached);
  });
  main_io.run();
  for (auto& w : workers) {
    w->guard.reset();
    w->io.stop();
  }
  for (auto& w : workers) {
    w->thread.join();
  }
  // The journal's writer finishes what is queued; its completions are posted to the workers'
  // io_contexts, which still exist (stopped) until `workers` goes.
  ctx->journal.reset();
  spdlog::info("tandem proxy stopped");
  return 0;
}

}  // namespace tandem::proxy
