#include "proxy/cli.hpp"

#include "backfill/command_usage.hpp"
#include "protocol/frame.hpp"
#include "proxy/allocator.hpp"
#include "proxy/config.hpp"
#include "proxy/json_log.hpp"
#include "proxy/proxy_server.hpp"
#include "proxy/status_command.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <iterator>
#include <string>

namespace tandem::proxy {
namespace {

// Only subcommands that work are listed (issue 2: "only subcommands that work are listed").
constexpr std::string_view usage_text =
    "usage: tandem <command> [options]\n"
    "\n"
    "commands:\n"
    "  proxy [--config FILE]\n"
    "                run the dual-write proxy (defaults: conf/tandem.yaml's values; every key\n"
    "                can be overridden by TANDEM_<SECTION>_<KEY>)\n"
    "  backfill [--config FILE] [--worker-id ID] [--table ks.t]... [--keyspace ks]...\n"
    "           [--no-progress-bar]\n"
    "                copy the existing data to the target with its writetimes and TTLs,\n"
    "                resumable (backfill.job), shared by several workers\n"
    "  schema diff|apply [--config FILE]\n"
    "                compare the source's keyspaces, types, tables and indexes with the target's;\n"
    "                apply creates what the target lacks\n"
    "  validate [--config FILE] [--table ks.t]... [--keyspace ks]... [--sample F] [--seed N]\n"
    "           [--repair] [--report FILE] [--worker-id ID] [--new-round] [--no-progress-bar]\n"
    "                compare every cell's value, writetime and TTL on both clusters; --repair\n"
    "                writes the source's cells with the source's writetimes; exit 1 when\n"
    "                differences remain\n"
    "  cutover check [--config FILE] [--json]\n"
    "                say whether reads may be flipped to the target, and what is missing\n"
    "  status [--admin URL] [--config FILE] [--watch] [--json]\n"
    "                a running proxy's state from its admin port: routing, clusters, rates,\n"
    "                journal, backfill per table, the cutover gate\n"
    "  version       print the version and the protocol versions spoken\n"
    "  frames [--hex] FILE\n"
    "                decode CQL frames (v3/v4 raw bytes, or hex with --hex) and print their\n"
    "                headers\n"
    "  help          print this text\n"
    "\n"
    "`tandem <command> --help` prints a command's options.\n";

constexpr std::string_view proxy_usage =
    "usage: tandem proxy [--config FILE]\n"
    "\n"
    "Runs the dual-write proxy: clients connect to proxy.listen_address; every write goes to\n"
    "both clusters with the same write timestamp; reads and answers come from the primary\n"
    "(routing.primary: the source until the flip at cutover, done on the admin port at run\n"
    "time, without a restart).\n"
    "\n"
    "options:\n"
    "  --config FILE   the configuration file (default: conf/tandem.yaml's values; every key\n"
    "                  can be overridden by TANDEM_<SECTION>_<KEY>)\n"
    "  -h, --help      print this text\n"
    "\n"
    "exit status: 0 stopped by SIGINT/SIGTERM, 1 failed while running, 2 bad arguments or\n"
    "configuration\n";

constexpr std::string_view frames_usage =
    "usage: tandem frames [--hex] [FILE|-]\n"
    "\n"
    "Decodes CQL frames (v3/v4 framing) from FILE (default: standard input) and prints each\n"
    "frame's header: offset, version, direction, opcode, stream, flags, body length.\n"
    "\n"
    "options:\n"
    "  --hex           the input is hex text (whitespace ignored), not raw bytes\n"
    "  -h, --help      print this text\n";

int print_version() {
  std::cout << "tandem " << TANDEM_VERSION << " (CQL native protocol v3, v4, v5; " << allocator_name()
            << ")\n";
  return 0;
}

std::string read_all(std::istream& in) {
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

protocol::bytes hex_to_bytes(std::string_view text, bool& ok) {
  protocol::bytes out;
  int pending = -1;
  ok = true;
  for (char c : text) {
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    else { ok = false; return {}; }
    if (pending < 0) {
      pending = v;
    } else {
      out.push_back(static_cast<std::byte>(pending * 16 + v));
      pending = -1;
    }
  }
  ok = ok && pending < 0;
  return out;
}

int dump_frames(std::span<const std::string_view> args) {
  bool hex = false;
  std::string path;
  if (backfill::asks_for_help(args)) {
    std::cout << frames_usage;
    return 0;
  }
  for (auto a : args) {
    if (a == "--hex") {
      hex = true;
    } else if (a.size() > 1 && a.starts_with("-")) {
      std::cerr << "tandem frames: unknown option '" << a << "'\n" << frames_usage;
      return 2;
    } else if (!path.empty()) {
      std::cerr << "tandem frames: one input file only ('" << path << "', '" << a << "')\n"
                << frames_usage;
      return 2;
    } else {
      path = std::string(a);
    }
  }
  std::string raw;
  if (path.empty() || path == "-") {
    raw = read_all(std::cin);
  } else {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
      std::cerr << "tandem frames: cannot open " << path << "\n";
      return 2;
    }
    char buf[65536];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) raw.append(buf, n);
    std::fclose(f);
  }
  protocol::bytes data;
  if (hex) {
    bool ok;
    data = hex_to_bytes(raw, ok);
    if (!ok) {
      std::cerr << "tandem frames: input is not hex\n";
      return 2;
    }
  } else {
    data.resize(raw.size());
    std::memcpy(data.data(), raw.data(), raw.size());
  }
  protocol::bytes_view rest(data);
  std::size_t offset = 0;
  while (!rest.empty()) {
    auto step = protocol::decode_frame(rest);
    if (!step) {
      std::cerr << "tandem frames: at byte " << offset << ": " << step.error().message() << "\n";
      return 1;
    }
    if (!step->frame) {
      std::cerr << "tandem frames: at byte " << offset << ": incomplete frame (" << rest.size()
                << " bytes left)\n";
      return 1;
    }
    const auto& h = step->frame->header;
    std::cout << "offset=" << offset << " v" << static_cast<int>(h.version)
              << (h.is_response ? " response " : " request ") << protocol::opcode_name(h.op)
              << " stream=" << h.stream << " flags=0x" << std::hex << static_cast<int>(h.flags)
              << std::dec << " length=" << h.body_length << "\n";
    offset += step->consumed;
    rest = rest.subspan(step->consumed);
  }
  return 0;
}

spdlog::level::level_enum spdlog_level(log_level l) {
  switch (l) {
    case log_level::trace: return spdlog::level::trace;
    case log_level::debug: return spdlog::level::debug;
    case log_level::info: return spdlog::level::info;
    case log_level::warn: return spdlog::level::warn;
    case log_level::error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

int run_proxy_command(std::span<const std::string_view> args) {
  std::string path;
  if (backfill::asks_for_help(args)) {
    std::cout << proxy_usage;
    return 0;
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      path = std::string(args[++i]);
    } else {
      std::cerr << "tandem proxy: unknown option '" << args[i] << "'\n" << proxy_usage;
      return 2;
    }
  }
  try {
    auto cfg = load_config_from_process(path);
    apply_logging(cfg.logging);
    return run_proxy(std::make_shared<proxy_context>(std::move(cfg)));
  } catch (const client::config_error& e) {
    std::cerr << "tandem proxy: configuration error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "tandem proxy: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

void apply_logging(const logging_settings& l) {
  spdlog::set_level(spdlog_level(l.level));
  if (l.format == log_format::json) {
    spdlog::set_formatter(make_json_log_formatter());
  }
}

int run_cli(std::span<const std::string_view> args) {
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::cout << usage_text;
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "version" || args[0] == "--version") {
    return print_version();
  }
  if (args[0] == "proxy") {
    return run_proxy_command(args.subspan(1));
  }
  if (args[0] == "status") {
    return status_command(args.subspan(1));
  }
  if (args[0] == "frames") {
    return dump_frames(args.subspan(1));
  }
  std::cerr << "tandem: unknown command '" << args[0] << "'\n" << usage_text;
  return 2;
}

}  // namespace tandem::proxy
