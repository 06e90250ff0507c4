#include "proxy/cluster_probe.hpp"

#include "protocol/messages/query.hpp"
#include "protocol/messages/result.hpp"
#include "protocol/messages/startup.hpp"
#include "protocol/wire_writer.hpp"
#include "proxy/cluster_connection.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

namespace tandem::proxy {
namespace {

using protocol::opcode;

std::string text_cell(const protocol::rows_result& rows, const std::string& column) {
  if (rows.rows.empty()) {
    return {};
  }
  for (std::size_t i = 0; i < rows.metadata.columns.size(); ++i) {
    if (rows.metadata.columns[i].name == column && i < rows.rows[0].size() && rows.rows[0][i]) {
      const auto& b = *rows.rows[0][i];
      return std::string(reinterpret_cast<const char*>(b.data()), b.size());
    }
  }
  return {};
}

asio::awaitable<probe_outcome> probe_node(asio::any_io_executor ex, const cluster_settings& c,
                                          const std::string& name, const std::string& host) {
  const auto v = protocol::protocol_version::v4;
  cluster_connection_settings s;
  s.endpoint = {host, c.port};
  s.name = name;
  s.version = v;
  s.connect_timeout = c.connect_timeout;
  s.request_timeout = c.request_timeout;
  auto conn = std::make_shared<cluster_connection>(ex, s);
  probe_outcome out;
  if (auto err = co_await conn->connect(); !err.empty()) {
    out.error = err;
    co_return out;
  }
  protocol::startup_message startup;
  startup.options["CQL_VERSION"] = "3.0.0";
  protocol::bytes startup_body = protocol::encode_startup(startup, v);
  auto answer = co_await conn->call(opcode::startup, std::move(startup_body));
  if (answer.ok() && answer.frame.header.op == opcode::authenticate) {
    conn->begin_framing(protocol::compression_algorithm::none);
    protocol::bytes token{std::byte{0}};
    for (char ch : c.username) token.push_back(static_cast<std::byte>(ch));
    token.push_back(std::byte{0});
    for (char ch : c.password) token.push_back(static_cast<std::byte>(ch));
    protocol::wire_writer w;
    w.write_bytes(protocol::bytes_view(token));
    protocol::bytes auth_body = w.take();
    answer = co_await conn->call(opcode::auth_response, std::move(auth_body));
  }
  if (!answer.ok() || (answer.frame.header.op != opcode::ready &&
                       answer.frame.header.op != opcode::auth_success)) {
    out.error = answer.ok() ? name + " refused the proxy's STARTUP (credentials?)" : answer.detail;
    conn->close("probe done");
    co_return out;
  }
  protocol::query_message q;
  q.query = "SELECT data_center, rack, release_version, cluster_name, partitioner FROM system.local";
  protocol::bytes query_body = protocol::encode_query(q, v);
  auto rows = co_await conn->call(opcode::query, std::move(query_body));
  conn->close("probe done");
  if (!rows.ok() || rows.frame.header.op != opcode::result) {
    out.error = rows.ok() ? name + " refused to read system.local" : rows.detail;
    co_return out;
  }
  auto decoded = protocol::decode_result(rows.frame.body, v);
  if (!decoded || !std::holds_alternative<protocol::rows_result>(*decoded)) {
    out.error = name + " answered system.local with something other than rows";
    co_return out;
  }
  const auto& r = std::get<protocol::rows_result>(*decoded);
  out.ok = true;
  out.data_center = text_cell(r, "data_center");
  out.rack = text_cell(r, "rack");
  out.release_version = text_cell(r, "release_version");
  out.cluster_name = text_cell(r, "cluster_name");
  out.partitioner = text_cell(r, "partitioner");
  co_return out;
}

}  // namespace

probe_outcome probe_cluster(const cluster_settings& c, const std::string& name) {
  probe_outcome last;
  for (const auto& host : c.contact_points) {
    asio::io_context io{1};
    std::optional<probe_outcome> result;
    asio::co_spawn(io, probe_node(io.get_executor(), c, name, host),
                   [&result](std::exception_ptr e, probe_outcome o) {
                     if (!e) {
                       result = std::move(o);
                     }
                   });
    io.run();
    if (result && result->ok) {
      return *result;
    }
    last = result.value_or(probe_outcome{false, name + " probe failed", {}, {}, {}, {}, {}});
  }
  return last;
}

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
