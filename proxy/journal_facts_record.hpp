// Keeps what this proxy's journal tells the cutover gate on the target (backfill/journal_facts.hpp)
// so that `tandem cutover check` and the other proxies see it: every 2 s, when the facts changed
// since they were last recorded, they are written again, retried until the target takes them
// (the target is often the thing that is down while the journal fills). Runs until the proxy
// stops; only started when the journal is on.
#pragma once

#include "proxy/proxy_context.hpp"

#include <boost/asio/awaitable.hpp>

#include <memory>

namespace tandem::proxy {

boost::asio::awaitable<void> record_journal_facts(std::shared_ptr<proxy_context> ctx);

}  // namespace tandem::proxy
