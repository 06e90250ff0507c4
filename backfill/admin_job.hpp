// The backfill run from the admin port (POST /api/v1/backfill): the same job as `tandem
// backfill`, on a thread of its own inside the proxy process, with the proxy's configuration;
// pause stops starting new pages and units (a paused unit's lease may lapse, and another worker
// may then take it over), resume continues. Progress as JSON for the status page.
#pragma once

#include "backfill/job.hpp"
#include "backfill/control.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

namespace tandem::backfill {

class admin_job : public control {
 public:
  explicit admin_job(migration_settings cfg) : cfg_(std::move(cfg)) {}
  ~admin_job() override;

  std::string start() override;
  std::string pause() override;
  std::string resume() override;
  std::string status_json() const override;
  std::uint64_t rows_copied() const override;
  std::string cutover_json(const cutover_live& live) const override;

 private:
  const migration_settings cfg_;
  mutable std::mutex mutex_;
  std::thread thread_;
  std::shared_ptr<job_progress> progress_;
  std::atomic<bool> paused_{false};
  std::atomic<bool> running_{false};
  std::atomic<int> exit_code_{-1};
};


}  // namespace tandem::backfill
