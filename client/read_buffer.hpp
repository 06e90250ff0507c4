// The buffer a connection's read loop reads into: small at first, doubled whenever a read
// fills it, up to a maximum. An idle connection (1,000 clients, each with two cluster
// connections) then holds half a KiB instead of 64 KiB, while a busy one soon reads in large
// chunks (fewer syscalls per frame). The codec copies what it is fed, so growing is safe
// after the bytes of a read have been fed.
#pragma once

#include "protocol/types.hpp"

#include <boost/asio/buffer.hpp>

#include <algorithm>
#include <cstddef>
#include <vector>

namespace tandem::client {

class read_buffer {
 public:
  // 512 bytes: every idle connection holds one (three per client), and a handshake's frames fit.
  static constexpr std::size_t initial_size = 512;
  static constexpr std::size_t max_size = 64 * 1024;

  read_buffer() : data_(initial_size) {}

  boost::asio::mutable_buffer space() noexcept {
    return boost::asio::buffer(data_.data(), data_.size());
  }
  // The first n bytes, as read into space().
  protocol::bytes_view bytes(std::size_t n) const noexcept { return {data_.data(), n}; }
  // After the bytes of a read have been consumed: a read that filled the buffer suggests more
  // was waiting, so the next read gets twice the room.
  void after_read(std::size_t n) {
    if (n == data_.size() && data_.size() < max_size) {
      data_.resize(std::min(max_size, data_.size() * 2));
    }
  }
  std::size_t size() const noexcept { return data_.size(); }

 private:
  std::vector<std::byte> data_;
};

}  // namespace tandem::client
