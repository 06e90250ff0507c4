#include "proxy/status_command.hpp"

#include "backfill/command_usage.hpp"
#include "proxy/config.hpp"
#include "proxy/status_text.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

namespace tandem::proxy {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;

constexpr std::string_view status_usage =
    "usage: tandem status [--admin URL] [--config FILE] [--token T] [--watch] [--interval S]\n"
    "                     [--json] [--no-cutover]\n"
    "\n"
    "Prints a running proxy's state from its admin port: routing, both clusters, clients and\n"
    "rates, target write failures, the journal, the backfill per table and the cutover gate.\n"
    "\n"
    "options:\n"
    "  --admin URL     the admin port, http://HOST:PORT (default: admin.listen_address and\n"
    "                  admin.listen_port of the configuration)\n"
    "  --config FILE   the configuration to take the admin port and token from (default:\n"
    "                  conf/tandem.yaml's values and TANDEM_* variables)\n"
    "  --token T       the admin port's bearer token (default: admin.bearer_token, or\n"
    "                  TANDEM_ADMIN_BEARER_TOKEN with --admin)\n"
    "  --watch         print again every --interval seconds until interrupted\n"
    "  --interval S    seconds between two prints with --watch (default 5)\n"
    "  --json          print {\"status\":..., \"history\":..., \"cutover\":...} as read, for scripts\n"
    "  --no-cutover    do not ask for the cutover gate (it reads both clusters' state tables)\n"
    "  -h, --help      print this text\n"
    "\n"
    "exit status: 0 read, 1 the admin port could not be read, 2 bad arguments or configuration\n";

struct endpoint {
  std::string host;
  std::string port;
};

std::optional<endpoint> parse_url(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (url.starts_with(scheme)) url.remove_prefix(scheme.size());
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  const auto colon = url.rfind(':');
  if (url.empty() || colon == std::string_view::npos || colon + 1 == url.size() ||
      url.find('/') != std::string_view::npos) {
    return std::nullopt;
  }
  std::string host(url.substr(0, colon));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return endpoint{host, std::string(url.substr(colon + 1))};
}

struct http_answer {
  unsigned status = 0;
  std::string body;
  std::string error;  // non-empty: no answer
};

// GETs several paths over one connection, each within 35 s (the cutover gate reads the
// clusters' state tables, a few seconds at most).
std::vector<http_answer> get_all(const endpoint& ep, const std::vector<std::string>& paths,
                                 const std::string& token) {
  std::vector<http_answer> out(paths.size());
  asio::io_context io;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        asio::ip::tcp::resolver resolver(ex);
        beast::tcp_stream stream(ex);
        try {
          auto results = co_await resolver.async_resolve(ep.host, ep.port, asio::use_awaitable);
          stream.expires_after(std::chrono::seconds(5));
          co_await stream.async_connect(results, asio::use_awaitable);
          for (std::size_t i = 0; i < paths.size(); ++i) {
            http::request<http::empty_body> req{http::verb::get, paths[i], 11};
            req.set(http::field::host, ep.host);
            req.set(http::field::user_agent, "tandem status");
            if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
            req.keep_alive(true);
            stream.expires_after(std::chrono::seconds(35));
            co_await http::async_write(stream, req, asio::use_awaitable);
            beast::flat_buffer buf;
            http::response<http::string_body> res;
            co_await http::async_read(stream, buf, res, asio::use_awaitable);
            out[i].status = res.result_int();
            out[i].body = std::move(res.body());
          }
        } catch (const boost::system::system_error& e) {
          for (auto& a : out) {
            if (a.status == 0 && a.error.empty()) a.error = e.code().message();
          }
        }
      },
      asio::detached);
  io.run();
  return out;
}

json::value parsed(const http_answer& a) {
  boost::system::error_code ec;
  auto v = json::parse(a.body, ec);
  return ec ? json::value(nullptr) : v;
}

// Reads once and prints; returns the exit status.
int print_once(const endpoint& ep, const std::string& url, const std::string& token, bool as_json,
               bool cutover) {
  std::vector<std::string> paths = {"/api/v1/status", "/api/v1/history"};
  if (cutover) paths.emplace_back("/api/v1/cutover");
  const auto answers = get_all(ep, paths, token);
  const auto& st = answers[0];
  if (!st.error.empty() || st.status != 200) {
    std::cerr << "tandem status: cannot read " << url << "/api/v1/status: "
              << (st.error.empty() ? "HTTP " + std::to_string(st.status) + " " + st.body : st.error)
              << (st.status == 401 ? " (give the admin port's token: --token or "
                                     "TANDEM_ADMIN_BEARER_TOKEN)" : "")
              << "\n";
    return 1;
  }
  const json::value status = parsed(st);
  if (!status.is_object()) {
    std::cerr << "tandem status: " << url << "/api/v1/status did not answer JSON\n";
    return 1;
  }
  const json::value history = answers[1].status == 200 ? parsed(answers[1]) : json::value(nullptr);
  // 501: this proxy has no gate; anything else unreadable is shown as missing.
  json::value gate = nullptr;
  if (cutover && answers[2].status == 200) gate = parsed(answers[2]);
  if (as_json) {
    json::object o{{"status", status}, {"history", history}, {"cutover", gate}};
    std::cout << json::serialize(o) << "\n";
  } else {
    std::cout << render_status_text(status, history, gate, url);
    if (cutover && answers[2].status != 200 && answers[2].status != 501) {
      std::cout << "cutover    unknown: "
                << (answers[2].error.empty() ? "HTTP " + std::to_string(answers[2].status)
                                             : answers[2].error)
                << "\n";
    }
  }
  std::cout.flush();
  return 0;
}

}  // namespace

int status_command(std::span<const std::string_view> args) {
  std::string url, config_path, token;
  bool watch = false, as_json = false, cutover = true, token_given = false;
  double interval = 5;
  if (backfill::asks_for_help(args)) {
    std::cout << status_usage;
    return 0;
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "--admin" && has_value) {
      url = std::string(args[++i]);
    } else if (a == "--config" && has_value) {
      config_path = std::string(args[++i]);
    } else if (a == "--token" && has_value) {
      token = std::string(args[++i]);
      token_given = true;
    } else if (a == "--watch") {
      watch = true;
    } else if (a == "--interval" && has_value) {
      const std::string v(args[++i]);
      char* end = nullptr;
      interval = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0' || !(interval >= 0.5) || interval > 3600) {
        std::cerr << "tandem status: --interval takes seconds in [0.5, 3600], not '" << v << "'\n";
        return 2;
      }
    } else if (a == "--json") {
      as_json = true;
    } else if (a == "--no-cutover") {
      cutover = false;
    } else {
      std::cerr << "tandem status: unknown option '" << a << "'\n" << status_usage;
      return 2;
    }
  }
  if (url.empty()) {
    try {
      const auto cfg = load_config_from_process(config_path);
      url = "http://" + cfg.admin.listen_address.to_string() + ":" +
            std::to_string(cfg.admin.listen_port);
      if (cfg.admin.listen_address.is_v6()) {
        url = "http://[" + cfg.admin.listen_address.to_string() + "]:" +
              std::to_string(cfg.admin.listen_port);
      }
      if (!token_given) token = cfg.admin.bearer_token;
    } catch (const std::exception& e) {
      std::cerr << "tandem status: configuration error: " << e.what()
                << " (or name the admin port with --admin URL)\n";
      return 2;
    }
  } else if (!token_given) {
    if (const char* t = std::getenv("TANDEM_ADMIN_BEARER_TOKEN")) token = t;
  }
  const auto ep = parse_url(url);
  if (!ep) {
    std::cerr << "tandem status: --admin takes http://HOST:PORT, not '" << url << "'\n";
    return 2;
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (!watch) {
    return print_once(*ep, url, token, as_json, cutover);
  }
  for (;;) {
    if (!as_json) std::cout << "\x1b[H\x1b[2J";  // home and clear: a terminal that refreshes
    print_once(*ep, url, token, as_json, cutover);
    std::this_thread::sleep_for(std::chrono::duration<double>(interval));
  }
}

}  // namespace tandem::proxy
