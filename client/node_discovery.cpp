#include "client/node_discovery.hpp"

#include "client/token_map.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <array>
#include <cstring>

namespace tandem::client {
namespace {

const protocol::bytes* cell(const protocol::rows_result& rows, const protocol::result_row& row,
                            const std::string& column) {
  for (std::size_t i = 0; i < rows.metadata.columns.size() && i < row.size(); ++i) {
    if (rows.metadata.columns[i].name == column && row[i]) {
      return &*row[i];
    }
  }
  return nullptr;
}

bool unspecified(const std::string& address) {
  boost::system::error_code ec;
  const auto a = boost::asio::ip::make_address(address, ec);
  return ec || a.is_unspecified();
}

}  // namespace

std::string inet_text(protocol::bytes_view cell) {
  if (cell.size() == 4) {
    boost::asio::ip::address_v4::bytes_type b;
    std::memcpy(b.data(), cell.data(), 4);
    return boost::asio::ip::address_v4(b).to_string();
  }
  if (cell.size() == 16) {
    boost::asio::ip::address_v6::bytes_type b;
    std::memcpy(b.data(), cell.data(), 16);
    return boost::asio::ip::address_v6(b).to_string();
  }
  return {};
}

std::vector<discovered_node> peers_from_rows(const protocol::rows_result& rows,
                                             std::uint16_t default_port) {
  std::vector<discovered_node> out;
  for (const auto& row : rows.rows) {
    discovered_node n;
    n.port = default_port;
    for (const char* column : {"native_address", "rpc_address"}) {
      if (const auto* c = cell(rows, row, column)) {
        n.address = inet_text(*c);
        break;
      }
    }
    if (n.address.empty() || unspecified(n.address)) {
      if (const auto* c = cell(rows, row, "peer")) {
        n.address = inet_text(*c);
      }
    }
    if (const auto* c = cell(rows, row, "native_port"); c && c->size() == 4) {
      const auto port = (std::to_integer<std::uint32_t>((*c)[0]) << 24) |
                        (std::to_integer<std::uint32_t>((*c)[1]) << 16) |
                        (std::to_integer<std::uint32_t>((*c)[2]) << 8) |
                        std::to_integer<std::uint32_t>((*c)[3]);
      if (port > 0 && port <= 65535) {
        n.port = static_cast<std::uint16_t>(port);
      }
    }
    if (const auto* c = cell(rows, row, "data_center")) {
      n.data_center.assign(reinterpret_cast<const char*>(c->data()), c->size());
    }
    if (const auto* c = cell(rows, row, "rack")) {
      n.rack.assign(reinterpret_cast<const char*>(c->data()), c->size());
    }
    if (const auto* c = cell(rows, row, "tokens")) {
      n.tokens = murmur3_tokens(text_collection(*c));
    }
    if (!n.address.empty()) {
      out.push_back(std::move(n));
    }
  }
  return out;
}

std::vector<cluster_endpoint> choose_nodes(const discovered_node& probed,
                                           const std::vector<discovered_node>& peers,
                                           const cluster_settings& c) {
  std::vector<cluster_endpoint> out;
  const auto add = [&](const discovered_node& n) {
    if (!c.local_data_center.empty() && n.data_center != c.local_data_center) {
      return;
    }
    const bool seen = std::any_of(out.begin(), out.end(), [&](const cluster_endpoint& e) {
      return e.host == n.address && e.port == n.port;
    });
    if (!seen) {
      out.push_back(cluster_endpoint{n.address, n.port});
    }
  };
  add(probed);
  for (const auto& p : peers) {
    add(p);
  }
  return out;
}

}  // namespace tandem::client
