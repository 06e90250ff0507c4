// The journal as the admin port shows it: /api/v1/journal, the status page's panel and the
// "journal" member of /api/v1/status.
#pragma once

#include "backfill/journal_facts.hpp"
#include "proxy/proxy_context.hpp"

#include <string>

namespace tandem::proxy {

// A JSON object: state ("off" or "on"), pending records and bytes, the replay queue, the age of
// the oldest pending record, the replayer's concurrency, totals, the dead letters and the
// tables marked for validation, and the window a full journal could not keep (record_gap).
std::string journal_json(const proxy_context& ctx);

// What this proxy's journal tells the cutover gate (backfill/journal_facts.hpp), as it is now:
// its pending records and dead letters under `ctx.instance_name`, the tables with a write that
// could not be replayed, and the end of a window a full journal could not keep (record_gap).
backfill::journal_facts live_journal_facts(const proxy_context& ctx);

}  // namespace tandem::proxy
