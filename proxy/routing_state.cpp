#include "proxy/routing_state.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace tandem::proxy {

std::optional<cluster> parse_routing_state(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  if (text == "primary=source") {
    return cluster::source;
  }
  if (text == "primary=target") {
    return cluster::target;
  }
  return std::nullopt;
}

std::string format_routing_state(cluster primary) {
  return std::string("primary=") + std::string(cluster_name(primary)) + "\n";
}

routing_file_read read_routing_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) {
      return {};
    }
    return {std::nullopt, "cannot read " + path + ": " + std::strerror(errno)};
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto primary = parse_routing_state(text.str());
  if (!primary) {
    return {std::nullopt, path + " does not hold primary=source or primary=target"};
  }
  return {primary, {}};
}

std::string write_routing_file(const std::string& path, cluster primary) {
  const std::string tmp = path + ".tmp";
  const std::string text = format_routing_state(primary);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return "cannot write " + tmp + ": " + std::strerror(errno);
  }
  const auto written = ::write(fd, text.data(), text.size());
  const int write_errno = errno;
  const bool synced = ::fsync(fd) == 0;
  const int sync_errno = errno;
  ::close(fd);
  if (written != static_cast<ssize_t>(text.size()) || !synced) {
    ::unlink(tmp.c_str());
    return "cannot write " + tmp + ": " +
           std::strerror(written != static_cast<ssize_t>(text.size()) ? write_errno : sync_errno);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return "cannot replace " + path + ": " + std::strerror(e);
  }
  return {};
}

}  // namespace tandem::proxy
