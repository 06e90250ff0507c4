// The proxy's write-ahead journal (issue 14): mirrored writes the secondary has not confirmed,
// on local disk until it does. One per proxy instance (`journal.dir`, locked with flock).
//
// Group commit, as Cassandra's commitlog does it: records queue in memory and one writer thread
// writes and fdatasyncs them together every `sync_interval` (or sooner past `sync_bytes`). A
// record the secondary confirms while still queued is never written, so when the target answers
// as fast as the source the journal costs no disk I/O at all; only the writes still unanswered
// at the next sync reach the disk. Segments roll at `segment_bytes` and are deleted once every
// record in them is confirmed. Thread-safe: sessions on every worker call it.
#pragma once

#include "proxy/journal_record.hpp"
#include "proxy/metrics.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace tandem::proxy {

struct journal_options {
  std::string dir;
  std::chrono::microseconds sync_interval{2000};
  std::size_t sync_bytes = 1u << 20;
  std::uint64_t segment_bytes = 64u << 20;
  std::uint64_t max_bytes = 1u << 30;  // records held (on disk and queued) at most
};

// Opening failed: the message names the directory and the cause.
struct journal_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct journal_counters {
  std::atomic<std::uint64_t> appended{0};        // records given to append()
  std::atomic<std::uint64_t> written{0};         // records written and synced
  std::atomic<std::uint64_t> skipped{0};         // confirmed before the sync: never written
  std::atomic<std::uint64_t> replayed{0};        // confirmed by the replayer
  std::atomic<std::uint64_t> dead_lettered{0};   // refused by the secondary for good
  std::atomic<std::uint64_t> unsafe_marked{0};   // not replayable: their tables need validation
  std::atomic<std::uint64_t> replay_backoffs{0};  // the replayer halved its concurrency
  std::atomic<std::uint64_t> refused_full{0};    // append() refused: max_bytes reached
  std::atomic<std::uint64_t> torn_dropped{0};    // torn records dropped when opening
  std::atomic<std::uint64_t> recovered{0};       // records found when opening
  std::atomic<std::uint64_t> fsyncs{0};
  std::atomic<std::uint64_t> disk_errors{0};
  latency_histogram fsync_latency;
};

struct journal_state {
  std::uint64_t pending_records = 0;  // not yet confirmed by the secondary
  std::uint64_t pending_bytes = 0;
  std::uint64_t replay_queue = 0;     // of those, waiting for the replayer
  // Of the pending, those whose write to the secondary failed (or that an earlier run left):
  // waiting for the replayer or being replayed. The others are on their way (in flight).
  std::uint64_t failed = 0;
  std::int64_t oldest_pending_us = 0;  // when the oldest pending record was appended; 0: none
  std::size_t segments = 0;
  std::vector<std::string> dead_letters;  // the last few, as written to dead-letters.jsonl
  std::map<std::string, std::int64_t> unsafe_tables;  // table -> when last marked (µs)
};

class journal {
 public:
  // Opens `o.dir` (made if missing), locks it, and reads the segments a previous run left:
  // their intact records wait for the replayer; a torn tail is dropped (counted and logged)
  // and cut off the file. Throws journal_error.
  explicit journal(journal_options o);
  ~journal();  // writes what is queued, then stops the writer
  journal(const journal&) = delete;
  journal& operator=(const journal&) = delete;

  // Queues `r` (its seq is assigned here and returned). `durable(true)` runs on the writer
  // thread once the record is on disk, or once it no longer needs to be (confirmed first);
  // `durable(false)` when the disk failed. std::nullopt, and no call: the journal is full.
  std::optional<std::uint64_t> append(journal_record r, std::function<void(bool)> durable);
  // The secondary has the write (its live answer or a replay): the record is done.
  void confirm(std::uint64_t seq);
  // The secondary failed the live copy: the replayer sends the record again.
  void replay(std::uint64_t seq);

  // For the replayer: the oldest record waiting (now marked as being replayed), if any.
  std::optional<journal_record> next_for_replay();
  // A replay attempt failed for now: the record waits again (ahead of newer ones).
  void replay_failed(std::uint64_t seq);
  // The secondary refuses the record for good: written to dead-letters.jsonl with `error`,
  // counted, and done.
  void dead_letter(const journal_record& r, const std::string& error);
  // A record that must not be sent twice: its table is marked, and the record is done.
  void mark_unsafe(const journal_record& r, const std::string& why);

  journal_state state() const;
  journal_counters& counters() noexcept { return counters_; }
  const journal_options& options() const noexcept { return options_; }

 private:
  enum class disk : std::uint8_t { queued, writing, written };
  struct entry {
    std::shared_ptr<const journal_record> record;
    std::uint64_t bytes = 0;
    std::uint64_t segment = 0;  // the segment's first seq, once written
    disk where = disk::queued;
    bool confirmed = false;
    bool wants_replay = false;
    bool replaying = false;
    std::int64_t appended_us = 0;
  };
  struct segment_info {
    std::string path;
    std::uint64_t unconfirmed = 0;
    bool closed = false;
  };
  struct queued_write {
    std::uint64_t seq;
    protocol::bytes frame;
    std::function<void(bool)> durable;
  };

  void recover();
  void writer_loop();
  void finish(std::uint64_t seq, entry& e);  // under mutex_: e is done, erase it
  void drop_segment_if_done(std::uint64_t segment);
  bool open_segment(std::uint64_t first_seq);
  void append_line(const std::string& file, const std::string& line);

  journal_options options_;
  journal_counters counters_;
  int lock_fd_ = -1;
  int dir_fd_ = -1;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<queued_write> queue_;
  std::size_t queued_bytes_ = 0;
  std::chrono::steady_clock::time_point first_queued_{};
  std::map<std::uint64_t, entry> live_;
  std::set<std::uint64_t> replay_queue_;  // seqs waiting for the replayer, oldest first
  std::uint64_t failed_ = 0;              // live entries with wants_replay (journal_state::failed)
  std::map<std::uint64_t, segment_info> segments_;
  std::uint64_t pending_bytes_ = 0;
  std::uint64_t next_seq_ = 1;
  std::vector<std::string> dead_letters_;
  std::map<std::string, std::int64_t> unsafe_tables_;
  bool stopping_ = false;

  // The writer thread's own: the segment being appended to.
  int segment_fd_ = -1;
  std::uint64_t segment_id_ = 0;
  std::uint64_t segment_size_ = 0;
  std::thread writer_;
};

}  // namespace tandem::proxy
