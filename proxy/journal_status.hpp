// The journal as the admin port shows it: /api/v1/journal, the status page's panel and the
// "journal" member of /api/v1/status.
#pragma once

#include "proxy/proxy_context.hpp"

#include <string>

namespace tandem::proxy {

// A JSON object: state ("off" or "on"), pending records and bytes, the replay queue, the age of
// the oldest pending record, the replayer's concurrency, totals, the dead letters and the
// tables marked for validation, and the window a full journal could not keep (record_gap).
std::string journal_json(const proxy_context& ctx);

// The cutover gate's answer (JSON with "ready" and "missing") with this proxy's journal facts
// added: not ready while the journal holds records or dead letters, while a table has a write
// that could not be replayed, or after a gap a full journal could not keep (issue 14).
std::string with_journal_facts(const proxy_context& ctx, const std::string& gate_json);

}  // namespace tandem::proxy
