// The admin port's handle on a backfill run inside the proxy process (POST/GET
// /api/v1/backfill). The backfill library implements it (backfill/admin_job.hpp); the proxy only
// knows this interface, so proxy/ does not depend on backfill/ (which depends on proxy/).
#pragma once

#include "proxy/config.hpp"

#include <functional>
#include <memory>
#include <string>

namespace tandem::proxy {

class backfill_control {
 public:
  virtual ~backfill_control() = default;
  // Each returns "" or why the action is refused (already running, not running, ...).
  virtual std::string start() = 0;
  virtual std::string pause() = 0;
  virtual std::string resume() = 0;
  // A JSON object: state (idle | running | paused | finished | failed), units, rows, rates.
  virtual std::string status_json() const = 0;
  // GET /api/v1/cutover: the cutover gate's verdict as JSON (ready, missing, tables), given
  // what the proxy knows live. Blocks while it reads the clusters' state (a few seconds at most).
  virtual std::string cutover_json(bool source_reachable, bool target_reachable,
                                   std::int64_t last_target_write_failure_us) const = 0;
};

using backfill_factory = std::function<std::shared_ptr<backfill_control>(const config&)>;

// Set by the executable's main before the proxy starts; without it the admin port answers
// that the backfill is not available in this build.
void set_backfill_factory(backfill_factory f);
std::shared_ptr<backfill_control> make_backfill_control(const config& c);

}  // namespace tandem::proxy
