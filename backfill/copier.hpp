// Copies work units (DESIGN.md "Copy"): pages of a unit's token range read from the source,
// each row's writes built by table_model, sent to the target in unlogged batches of one
// partition under the adaptive concurrency and the rows/s and bytes/s ceilings, with backoff
// and retry on push-back; the next page read while this one is written; a checkpoint after a
// page whose writes all succeeded, at most once a checkpoint_interval.
#pragma once

#include "backfill/checkpoint_store.hpp"
#include "backfill/rate_control.hpp"
#include "backfill/table_model.hpp"
#include "backfill/unit_runner.hpp"
#include "backfill/settings.hpp"
#include "client/wake_signal.hpp"

#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <string>

namespace tandem::backfill {

namespace asio = boost::asio;

// Shared by every unit copied by one process (all on one thread).
struct copy_shared {
  explicit copy_shared(const backfill::backfill_settings& s, asio::any_io_executor ex)
      : settings(s),
        limit(s.max_concurrency,
              s.adaptive_concurrency ? std::min<unsigned>(8, s.max_concurrency) : s.max_concurrency,
              s.adaptive_concurrency),
        rows_bucket(static_cast<double>(s.max_rows_per_second)),
        bytes_bucket(static_cast<double>(s.max_bytes_per_second)),
        slot_freed(ex) {}

  const backfill::backfill_settings& settings;
  aimd_limit limit;
  pushback_pacer pacer;
  token_bucket rows_bucket;
  token_bucket bytes_bucket;
  unsigned in_flight = 0;
  const std::atomic<bool>* paused = nullptr;  // the admin port's pause
  client::wake_signal slot_freed;  // notified when a write finishes: waiters look again

  // Totals for progress.
  std::uint64_t rows = 0;
  std::uint64_t bytes = 0;
  std::map<std::string, std::uint64_t> table_rows;  // ks.t → rows copied by this run
  std::uint64_t retries = 0;
  std::uint64_t pushbacks = 0;
  std::uint64_t overloaded = 0;  // of those, Overloaded answers (a rate limit, a 429)
  std::uint64_t requests = 0;  // write requests (batches) the target accepted
  std::size_t most_partition_in_flight = 0;  // the most batches one partition had in flight
};

// How long a unit's copy goes between two checkpoints: a second, or a tenth of the lease when
// that is shorter (the checkpoint renews the lease).
inline std::chrono::milliseconds checkpoint_interval(std::chrono::milliseconds lease) {
  return std::min(std::chrono::milliseconds(1'000), lease / 10);
}

class unit_copier {
 public:
  unit_copier(std::shared_ptr<client::cql_client> target, checkpoint_store& store,
              copy_shared& shared, std::string owner)
      : target_(std::move(target)),
        store_(store),
        shared_(shared),
        owner_(std::move(owner)) {}

  // Copies `u` (from its checkpoint) of table `t`, its pages read through `source` (a replica
  // of the unit's range when the ring is known); undated cells get `undated_timestamp`.
  asio::awaitable<unit_result> copy(const table_def& t, unit_state u,
                                     std::int64_t undated_timestamp,
                                     std::shared_ptr<client::cql_client> source);

 private:
  // The writes of one page in flight.
  struct page_writes {
    explicit page_writes(asio::any_io_executor ex) : all_done(ex), partition_freed(ex) {}
    std::size_t pending = 0;
    std::size_t bytes = 0;
    std::string failure;
    client::wake_signal all_done;
    // The batches in flight of the partition being read (a partition's rows are contiguous in
    // a page, and a page's writes all end before the next page): bounded by
    // max_partition_concurrency.
    std::size_t partition_pending = 0;
    std::uint64_t partition_generation = 0;  // which partition partition_pending counts
    client::wake_signal partition_freed;
  };

  struct page_read;
  // Starts reading the page of `range` at `paging` (the first page when empty).
  std::shared_ptr<page_read> read_ahead(std::shared_ptr<client::cql_client> source,
                                        std::string select, token_range range,
                                        std::optional<protocol::bytes> paging);

  // Waits until the current partition has fewer than max_partition_concurrency batches in
  // flight, then takes a slot of the process-wide limit.
  asio::awaitable<void> acquire_partition_slot(page_writes& pw);
  void spawn_batch(page_writes& pw, std::vector<client::statement> batch);
  void spawn_counters(page_writes& pw, const table_def& t, const select_layout& l,
                      protocol::result_row row);
  void finish_write(page_writes& pw, const std::string& err);
  asio::awaitable<std::string> write(std::vector<client::statement> statements, std::size_t bytes);
  asio::awaitable<std::string> write_counters(const table_def& t, const select_layout& l,
                                              protocol::result_row row);
  asio::awaitable<void> acquire_slot();
  void release_slot();
  void accepted(std::chrono::steady_clock::time_point sent);
  void refused(const client::cql_error& e);

  std::shared_ptr<client::cql_client> target_;
  checkpoint_store& store_;
  copy_shared& shared_;
  std::string owner_;
};

}  // namespace tandem::backfill
