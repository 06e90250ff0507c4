// Validates work units (issue 6, DESIGN.md "Validation"): both clusters' rows of a unit's token
// range are read in pages and merged (range_merge); rows that differ (row_compare) are read
// again by key from both clusters after validate.recheck_delay, and only a difference that
// persists is confirmed — a live write through the proxy during the scan explains the rest.
// Confirmed differences go to the JSON-lines report; with --repair they are repaired
// (repair_statements) and the key is validated once more.
#pragma once

#include "backfill/checkpoint_store.hpp"
#include "backfill/row_compare.hpp"
#include "backfill/unit_runner.hpp"

#include <cstdio>
#include <map>
#include <string>

namespace tandem::backfill {

namespace asio = boost::asio;

struct table_tally {
  std::uint64_t rows = 0;       // rows compared (either side)
  std::uint64_t found = 0;      // rows that differed in the scan
  std::uint64_t converged = 0;  // equal when read again: a live write explained them
  std::map<difference_kind, std::uint64_t> confirmed;  // cells (or rows) that differed again
  std::uint64_t repaired = 0;   // rows equal after the repair
  std::uint64_t unresolved = 0; // rows still different at the end
};

// Shared by every unit validated by one process (all on one thread).
struct validate_shared {
  const migration_settings& cfg;
  bool repair = false;
  std::int64_t undated = 0;  // T0-1: what the repair writes undated cells at (as the backfill)
  std::int32_t round = 0;
  std::FILE* report = nullptr;
  const std::atomic<bool>* paused = nullptr;
  std::map<std::string, table_tally> tallies;  // by "ks.table"
  std::uint64_t rows = 0;
};

class unit_validator : public unit_worker {
 public:
  unit_validator(std::shared_ptr<client::cql_client> source, std::shared_ptr<client::cql_client> target,
                 checkpoint_store& store, validate_shared& shared, std::string owner)
      : source_(std::move(source)),
        target_(std::move(target)),
        store_(store),
        shared_(shared),
        owner_(std::move(owner)) {}

  // Reads the source through `source` (a replica of the unit's range) when given.
  asio::awaitable<unit_result> run(const table_def& t, unit_state u,
                                   std::shared_ptr<client::cql_client> source) override;

 private:
  struct candidate {
    protocol::result_row key_row;  // the row as one side had it
    bool first_of_partition = false;
  };
  struct fresh_rows {
    std::optional<protocol::result_row> source;
    std::optional<protocol::result_row> target;
    std::int64_t read_us = 0;  // when the source row was read (system clock)
    std::string error;
  };

  asio::awaitable<client::outcome<client::page>> read(client::cql_client& c, const std::string& cql,
                                      std::vector<protocol::value> values,
                                      std::optional<protocol::bytes> paging);
  asio::awaitable<fresh_rows> read_again(const table_def& t, const select_layout& l,
                                         const protocol::result_row& key_row);
  // Returns "" when the repair's statements were all written, or why not.
  asio::awaitable<std::string> repair(const table_def& t, const select_layout& l,
                                      const fresh_rows& rows,
                                      const std::vector<cell_difference>& diffs, bool statics);
  struct settled {
    std::string error;        // why the key could not be read again or repaired
    bool unresolved = false;  // the difference remains
  };
  // Writes statements to both clusters (source first); "" or what failed.
  asio::awaitable<std::string> write_both(std::vector<client::statement> statements);
  // Reads a candidate again, reports, repairs.
  asio::awaitable<settled> settle(const table_def& t, const select_layout& l,
                                      const candidate& c, table_tally& tally);
  void report(const table_def& t, const select_layout& l, const fresh_rows& rows,
              const std::vector<cell_difference>& diffs, const std::string& resolution);

  std::shared_ptr<client::cql_client> source_;
  std::shared_ptr<client::cql_client> target_;
  checkpoint_store& store_;
  validate_shared& shared_;
  std::string owner_;
};

// The differences of two optional rows with the same key (missing, extra, or cell by cell).
std::vector<cell_difference> differences_of(const select_layout& l,
                                            const std::optional<protocol::result_row>& source,
                                            const std::optional<protocol::result_row>& target,
                                            bool statics, std::int32_t ttl_tolerance);

}  // namespace tandem::backfill
