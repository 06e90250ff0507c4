// An EXECUTE on its way to the clusters (handle_execute.cpp): the client's frame body, moved in
// rather than copied, and the proxy's edits of its message. Held by value where one request's
// state already lives (a mirrored write's mirror_legs), so building a body for each cluster
// needs no block of its own (issue 17).
#pragma once

#include "protocol/buffer_pool.hpp"
#include "protocol/messages/query_parameters.hpp"
#include "protocol/types.hpp"
#include "proxy/prepared_id_map.hpp"

#include <array>
#include <optional>

namespace tandem::proxy {

struct execute_parts {
  protocol::bytes body;     // the client's frame body: the prefix, then the EXECUTE message
  std::size_t offset = 0;   // where the message begins in `body`
  protocol::bytes edited;   // the message with the proxy's edits, if any
  bool is_edited = false;
  // The message's parameter locations, when scanned (a write) and still true of it (not after
  // added values): the prepared-id swap then reads only the ids.
  std::optional<protocol::parameter_locations> loc;
  prepared_id_map::entry_ptr found;  // as handle_execute found it: its id finds it again
  std::array<bool, 2> built{};  // per cluster: a body was built (the next one is a retry)

  execute_parts() = default;
  execute_parts(const execute_parts&) = default;
  execute_parts(execute_parts&&) noexcept = default;
  execute_parts& operator=(const execute_parts&) = default;
  execute_parts& operator=(execute_parts&&) noexcept = default;
  ~execute_parts() {  // the buffers came from the pool (the codec, the timestamp edit)
    protocol::buffer_pool::give_back(std::move(body));
    protocol::buffer_pool::give_back(std::move(edited));
  }

  protocol::bytes_view prefix() const { return protocol::bytes_view(body).first(offset); }
  protocol::bytes_view message() const {
    return is_edited ? protocol::bytes_view(edited) : protocol::bytes_view(body).subspan(offset);
  }
  void edit(protocol::bytes m) {
    protocol::buffer_pool::give_back(std::move(edited));
    edited = std::move(m);
    is_edited = true;
  }
};

}  // namespace tandem::proxy
