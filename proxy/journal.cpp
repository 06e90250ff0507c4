#include "proxy/journal.hpp"

#include "client/write_clock.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/uio.h>
#include <unistd.h>

namespace tandem::proxy {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kept_dead_letters = 20;

std::string segment_name(std::uint64_t first_seq) {
  char name[64];
  std::snprintf(name, sizeof name, "segment-%020llu.tj",
                static_cast<unsigned long long>(first_seq));
  return name;
}

std::string errno_text() { return std::strerror(errno); }

// Writes all of `parts` (writev, repeated after a short write).
bool write_all(int fd, std::vector<iovec> parts) {
  std::size_t first = 0;
  while (first < parts.size()) {
    const int n = static_cast<int>(std::min<std::size_t>(parts.size() - first, IOV_MAX));
    ssize_t w = ::writev(fd, parts.data() + first, n);
    if (w < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    auto left = static_cast<std::size_t>(w);
    while (first < parts.size() && left >= parts[first].iov_len) {
      left -= parts[first].iov_len;
      ++first;
    }
    if (left > 0) {
      parts[first].iov_base = static_cast<char*>(parts[first].iov_base) + left;
      parts[first].iov_len -= left;
    }
  }
  return true;
}

}  // namespace

journal::journal(journal_options o) : options_(std::move(o)) {
  std::error_code ec;
  fs::create_directories(options_.dir, ec);
  if (ec) {
    throw journal_error("journal.dir " + options_.dir + ": cannot create it: " + ec.message());
  }
  const std::string lock_path = (fs::path(options_.dir) / "lock").string();
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) {
    throw journal_error("journal.dir " + options_.dir + ": cannot open " + lock_path + ": " +
                        errno_text());
  }
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd_);
    throw journal_error("journal.dir " + options_.dir +
                        " is in use by another tandem proxy (each instance needs its own)");
  }
  dir_fd_ = ::open(options_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  recover();
  writer_ = std::thread([this] { writer_loop(); });
}

journal::~journal() {
  {
    std::lock_guard lk(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) {
    writer_.join();
  }
  if (segment_fd_ >= 0) {
    ::close(segment_fd_);
  }
  if (dir_fd_ >= 0) {
    ::close(dir_fd_);
  }
  ::close(lock_fd_);
}

// Every segment a previous run left, oldest first: its intact records wait for the replayer.
void journal::recover() {
  std::vector<fs::path> files;
  for (const auto& f : fs::directory_iterator(options_.dir)) {
    const std::string name = f.path().filename().string();
    if (name.starts_with("segment-") && name.ends_with(".tj")) {
      files.push_back(f.path());
    }
  }
  std::sort(files.begin(), files.end());
  const std::int64_t now = client::write_clock::system_now_us();
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    const std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto scan = scan_journal_segment(
        protocol::bytes_view(reinterpret_cast<const std::byte*>(raw.data()), raw.size()));
    if (scan.torn) {
      counters_.torn_dropped.fetch_add(1);
      spdlog::warn("journal: {}: {} bytes after the last intact record are a torn write; dropped "
                   "({} intact records kept)",
                   path.string(), raw.size() - scan.good_bytes, scan.records.size());
      if (scan.header_ok && ::truncate(path.c_str(), static_cast<off_t>(scan.good_bytes)) != 0) {
        spdlog::warn("journal: cannot cut the torn tail off {}: {}", path.string(), errno_text());
      }
    }
    const std::uint64_t id = scan.records.empty() ? 0 : scan.records.front().seq;
    if (id == 0) {
      std::error_code ec;
      fs::remove(path, ec);
      continue;
    }
    segments_[id] = segment_info{path.string(), scan.records.size(), true};
    for (const auto& r : scan.records) {
      entry e;
      e.bytes = journal_frame_overhead + r.message.size() + r.keyspace.size() + r.table.size();
      e.segment = id;
      e.where = disk::written;
      e.wants_replay = true;
      ++failed_;
      e.appended_us = now;
      next_seq_ = std::max(next_seq_, r.seq + 1);
      e.record = std::make_shared<const journal_record>(r);
      pending_bytes_ += e.bytes;
      live_.emplace(r.seq, std::move(e));
      replay_queue_.insert(r.seq);
    }
    counters_.recovered.fetch_add(scan.records.size());
  }
  if (!live_.empty()) {
    spdlog::info("journal: {} records from an earlier run wait for the replayer", live_.size());
  }
}

std::optional<std::uint64_t> journal::append(journal_record r, std::function<void(bool)> durable) {
  std::unique_lock lk(mutex_);
  r.seq = next_seq_;
  protocol::bytes frame = encode_journal_frame(r);
  if (pending_bytes_ + frame.size() > options_.max_bytes || stopping_) {
    counters_.refused_full.fetch_add(1);
    return std::nullopt;
  }
  ++next_seq_;
  entry e;
  e.bytes = frame.size();
  e.appended_us = client::write_clock::system_now_us();
  e.record = std::make_shared<const journal_record>(std::move(r));
  pending_bytes_ += e.bytes;
  const std::uint64_t seq = e.record->seq;
  live_.emplace(seq, std::move(e));
  const bool first = queue_.empty();
  if (first) {
    first_queued_ = std::chrono::steady_clock::now();
  }
  queued_bytes_ += frame.size();
  queue_.push_back({seq, std::move(frame), std::move(durable)});
  counters_.appended.fetch_add(1);
  const bool full_batch = queued_bytes_ >= options_.sync_bytes;
  lk.unlock();
  // The writer needs waking only to start a group (it then sleeps out the interval) or to cut
  // it short: one wake-up per group commit, not one per record.
  if (first || full_batch) {
    wake_.notify_one();
  }
  return seq;
}

void journal::finish(std::uint64_t seq, entry& e) {
  pending_bytes_ -= std::min(pending_bytes_, e.bytes);
  if (e.wants_replay && failed_ > 0) {
    --failed_;
  }
  replay_queue_.erase(seq);
  const std::uint64_t segment = e.where == disk::written ? e.segment : 0;
  live_.erase(seq);
  if (segment != 0) {
    auto it = segments_.find(segment);
    if (it != segments_.end() && it->second.unconfirmed > 0) {
      --it->second.unconfirmed;
    }
    drop_segment_if_done(segment);
  }
}

void journal::drop_segment_if_done(std::uint64_t segment) {
  auto it = segments_.find(segment);
  if (it == segments_.end() || !it->second.closed || it->second.unconfirmed != 0) {
    return;
  }
  if (::unlink(it->second.path.c_str()) != 0 && errno != ENOENT) {
    spdlog::warn("journal: cannot delete the confirmed segment {}: {}", it->second.path,
                 errno_text());
  }
  segments_.erase(it);
}

void journal::confirm(std::uint64_t seq) {
  std::lock_guard lk(mutex_);
  auto it = live_.find(seq);
  if (it == live_.end()) {
    return;
  }
  it->second.confirmed = true;
  replay_queue_.erase(seq);
  if (it->second.where != disk::writing) {
    finish(seq, it->second);  // queued: the writer will find it gone and skip it
  }
}

void journal::replay(std::uint64_t seq) {
  std::lock_guard lk(mutex_);
  auto it = live_.find(seq);
  if (it != live_.end() && !it->second.confirmed && !it->second.replaying) {
    if (!it->second.wants_replay) {
      ++failed_;
    }
    it->second.wants_replay = true;
    replay_queue_.insert(seq);
  }
}

std::optional<journal_record> journal::next_for_replay() {
  std::lock_guard lk(mutex_);
  if (replay_queue_.empty()) {
    return std::nullopt;
  }
  const std::uint64_t seq = *replay_queue_.begin();
  replay_queue_.erase(replay_queue_.begin());
  auto& e = live_.at(seq);
  e.replaying = true;
  return *e.record;
}

void journal::replay_failed(std::uint64_t seq) {
  std::lock_guard lk(mutex_);
  auto it = live_.find(seq);
  if (it != live_.end() && !it->second.confirmed) {
    it->second.replaying = false;
    replay_queue_.insert(seq);
  }
}

void journal::append_line(const std::string& file, const std::string& line) {
  std::ofstream out(fs::path(options_.dir) / file, std::ios::app);
  out << line << '\n';
  out.flush();
  if (!out) {
    counters_.disk_errors.fetch_add(1);
    spdlog::error("journal: cannot append to {}/{}: {}", options_.dir, file, errno_text());
  }
}

void journal::dead_letter(const journal_record& r, const std::string& error) {
  boost::json::object o;
  o["seq"] = r.seq;
  o["at_us"] = client::write_clock::system_now_us();
  o["error"] = error;
  o["keyspace"] = r.keyspace;
  o["table"] = r.table;
  o["statement"] = r.statements.empty() ? std::string("(text in the message)")
                                        : r.statements.front().text;
  const std::string line = boost::json::serialize(o);
  append_line("dead-letters.jsonl", line);
  counters_.dead_lettered.fetch_add(1);
  {
    std::lock_guard lk(mutex_);
    dead_letters_.push_back(line);
    if (dead_letters_.size() > kept_dead_letters) {
      dead_letters_.erase(dead_letters_.begin());
    }
  }
  confirm(r.seq);
}

void journal::mark_unsafe(const journal_record& r, const std::string& why) {
  boost::json::object o;
  o["seq"] = r.seq;
  o["table"] = r.table;
  o["why"] = why;
  append_line("unsafe-tables.jsonl", boost::json::serialize(o));
  counters_.unsafe_marked.fetch_add(1);
  {
    std::lock_guard lk(mutex_);
    // Marked when the replayer meets it, after the write: a validation that begins later
    // sees the write on the source.
    unsafe_tables_[r.table] = client::write_clock::system_now_us();
  }
  confirm(r.seq);
}

journal_state journal::state() const {
  std::lock_guard lk(mutex_);
  journal_state s;
  s.pending_records = live_.size();
  s.pending_bytes = pending_bytes_;
  s.replay_queue = replay_queue_.size();
  s.failed = failed_;
  s.oldest_pending_us = live_.empty() ? 0 : live_.begin()->second.appended_us;
  s.segments = segments_.size();
  s.dead_letters = dead_letters_;
  s.unsafe_tables = unsafe_tables_;
  return s;
}

bool journal::open_segment(std::uint64_t first_seq) {
  const std::string path = (fs::path(options_.dir) / segment_name(first_seq)).string();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    spdlog::error("journal: cannot create {}: {}", path, errno_text());
    return false;
  }
  const auto header = journal_header();
  iovec part{const_cast<std::byte*>(header.data()), header.size()};
  if (!write_all(fd, {part}) || ::fdatasync(fd) != 0 || (dir_fd_ >= 0 && ::fsync(dir_fd_) != 0)) {
    spdlog::error("journal: cannot start {}: {}", path, errno_text());
    ::close(fd);
    return false;
  }
  std::lock_guard lk(mutex_);
  if (segment_fd_ >= 0) {
    ::close(segment_fd_);
    auto old = segments_.find(segment_id_);
    if (old != segments_.end()) {
      old->second.closed = true;
      drop_segment_if_done(segment_id_);
    }
  }
  segment_fd_ = fd;
  segment_id_ = first_seq;
  segment_size_ = header.size();
  segments_[first_seq] = segment_info{path, 0, false};
  return true;
}

// Group commit: what queued during one sync interval is written with one writev and synced
// with one fdatasync; records confirmed meanwhile are left out.
void journal::writer_loop() {
  std::unique_lock lk(mutex_);
  while (true) {
    wake_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) {
      return;  // stopping, nothing left
    }
    wake_.wait_until(lk, first_queued_ + options_.sync_interval,
                     [&] { return stopping_ || queued_bytes_ >= options_.sync_bytes; });
    std::deque<queued_write> batch;
    batch.swap(queue_);
    queued_bytes_ = 0;
    std::vector<queued_write*> to_write;
    std::vector<std::function<void(bool)>> no_write_needed;
    for (auto& w : batch) {
      auto it = live_.find(w.seq);
      if (it == live_.end()) {
        counters_.skipped.fetch_add(1);
        no_write_needed.push_back(std::move(w.durable));
        continue;
      }
      it->second.where = disk::writing;
      to_write.push_back(&w);
    }
    lk.unlock();
    for (auto& done : no_write_needed) {
      if (done) {
        done(true);
      }
    }
    bool ok = true;
    if (!to_write.empty()) {
      if (segment_fd_ < 0 || segment_size_ >= options_.segment_bytes) {
        ok = open_segment(to_write.front()->seq);
      }
      std::vector<iovec> parts;
      std::uint64_t bytes = 0;
      for (auto* w : to_write) {
        parts.push_back({w->frame.data(), w->frame.size()});
        bytes += w->frame.size();
      }
      const auto begin = std::chrono::steady_clock::now();
      ok = ok && write_all(segment_fd_, parts) && ::fdatasync(segment_fd_) == 0;
      counters_.fsync_latency.observe(std::chrono::steady_clock::now() - begin);
      counters_.fsyncs.fetch_add(1);
      if (ok) {
        segment_size_ += bytes;
        counters_.written.fetch_add(to_write.size());
      } else {
        counters_.disk_errors.fetch_add(1);
        spdlog::error("journal: writing {} records to {} failed: {}; they are kept in memory for "
                      "the replayer only, and their clients get an error unless the target "
                      "answered",
                      to_write.size(), options_.dir, errno_text());
      }
    }
    lk.lock();
    for (auto* w : to_write) {
      auto it = live_.find(w->seq);
      if (it == live_.end()) {
        continue;
      }
      it->second.where = disk::written;
      it->second.segment = ok ? segment_id_ : 0;
      if (ok) {
        ++segments_[segment_id_].unconfirmed;
      }
      if (it->second.confirmed) {
        finish(w->seq, it->second);
      }
    }
    lk.unlock();
    for (auto* w : to_write) {
      if (w->durable) {
        w->durable(ok);
      }
    }
    lk.lock();
  }
}

}  // namespace tandem::proxy
