#include "proxy/stream_id_map.hpp"

#include <string>

namespace tandem::proxy {

std::size_t checked_stream_capacity(std::size_t capacity) {
  if (capacity == 0 || capacity > max_stream_ids) {
    throw std::invalid_argument("in-flight limit per cluster connection must be 1.." +
                                std::to_string(max_stream_ids) + ", got " +
                                std::to_string(capacity));
  }
  return capacity;
}

}  // namespace tandem::proxy
