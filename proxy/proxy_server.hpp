// The proxy process: worker threads (one io_context each, STYLE.md rule 4), the listener that
// hands each client to a worker round-robin, and shutdown on SIGTERM/SIGINT.
#pragma once

#include "proxy/proxy_context.hpp"

#include <memory>

namespace tandem::proxy {

// Runs until SIGTERM or SIGINT; returns the process exit status. Throws std::runtime_error
// when the listen address cannot be bound (the message names the address).
int run_proxy(std::shared_ptr<proxy_context> ctx);

}  // namespace tandem::proxy
