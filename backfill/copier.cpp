#include "backfill/copier.hpp"

#include "backfill/cell_values.hpp"
#include "client/retry_hint.hpp"
#include "client/write_clock.hpp"
#include "protocol/messages/error_message.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace tandem::backfill {
namespace {

using asio::as_tuple;
using asio::use_awaitable;

constexpr int max_attempts = 12;

asio::awaitable<void> sleep_for(std::chrono::microseconds d) {
  if (d.count() <= 0) {
    co_return;
  }
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(as_tuple(use_awaitable));
}

std::size_t size_of(const std::vector<client::statement>& statements) {
  std::size_t n = 0;
  for (const auto& s : statements) {
    for (const auto& v : s.values) {
      n += v.data.size();
    }
  }
  return n;
}

}  // namespace

void unit_copier::accepted(std::chrono::steady_clock::time_point sent) {
  const auto now = std::chrono::steady_clock::now();
  ++shared_.requests;
  shared_.limit.on_success(std::chrono::duration_cast<std::chrono::microseconds>(now - sent), now);
  shared_.pacer.on_accepted(now);
}

// The target pushed back (Overloaded, a timeout, no answer in time): fewer writes in flight, a
// slower pace, and the wait it asked for if it named one (client/retry_hint.hpp).
void unit_copier::refused(const client::cql_error& e) {
  ++shared_.retries;
  ++shared_.pushbacks;
  if (e.code == static_cast<std::int32_t>(protocol::error_code::overloaded)) {
    ++shared_.overloaded;
  }
  shared_.limit.on_pushback();
  shared_.pacer.on_pushback(std::chrono::steady_clock::now(), client::retry_after_hint(e.message));
}

asio::awaitable<void> unit_copier::acquire_slot() {
  while (shared_.in_flight >= shared_.limit.limit()) {
    co_await shared_.slot_freed.wait();
  }
  ++shared_.in_flight;
}

void unit_copier::release_slot() {
  --shared_.in_flight;
  shared_.slot_freed.notify_all();
}

// One batch of one partition, retried with backoff while the target pushes back. Returns "" or
// why it failed for good.
asio::awaitable<std::string> unit_copier::write(std::vector<client::statement> statements,
                                                std::size_t bytes) {
  const auto cl = client::consistency_named(shared_.settings.write_consistency);
  for (int attempt = 1;; ++attempt) {
    co_await sleep_for(shared_.pacer.take(std::chrono::steady_clock::now()));
    co_await sleep_for(shared_.bytes_bucket.take(static_cast<double>(bytes),
                                                 std::chrono::steady_clock::now()));
    const auto begin = std::chrono::steady_clock::now();
    // One statement goes as an EXECUTE: a BATCH of one costs the target a batch's work for
    // nothing (tandem-write-ceiling measured EXECUTE the faster of the two for one row).
    client::cql_error error;
    if (statements.size() == 1) {
      auto r = co_await target_->execute(statements.front(), cl);
      if (r) {
        accepted(begin);
        co_return std::string();
      }
      error = std::move(r.error);
    } else {
      auto r = co_await target_->batch(statements, cl);
      if (r) {
        accepted(begin);
        co_return std::string();
      }
      error = std::move(r.error);
    }
    if (!error.is_retryable() || attempt >= max_attempts) {
      co_return "writing to the target: " + error.message;
    }
    refused(error);
    co_await sleep_for(retry_delay(attempt));
  }
}

// Counters cannot be written with a timestamp: the target gets the difference between the
// source's value and its own (DESIGN.md "Counters by delta").
asio::awaitable<std::string> unit_copier::write_counters(const table_def& t,
                                                         const select_layout& l,
                                                         protocol::result_row row) {
  const auto cl = client::consistency_named(shared_.settings.write_consistency);
  client::statement read{counter_read(t), {}};
  for (std::size_t i = 0; i < l.key_columns; ++i) {
    read.values.push_back(protocol::value::of(*row[i]));
  }
  for (int attempt = 1;; ++attempt) {
    co_await sleep_for(shared_.pacer.take(std::chrono::steady_clock::now()));
    auto current = co_await target_->execute(read, cl);
    std::optional<std::string> failure;
    if (current) {
      std::optional<protocol::result_row> target_row;
      if (!current.value->rows.rows.empty()) {
        target_row = current.value->rows.rows.front();
      }
      auto update = counter_delta(t, l, row, target_row);
      if (!update) {
        co_return std::string();
      }
      co_await sleep_for(shared_.pacer.take(std::chrono::steady_clock::now()));
      const auto begin = std::chrono::steady_clock::now();
      auto r = co_await target_->execute(std::move(*update), cl);
      if (r) {
        accepted(begin);
        co_return std::string();
      }
      if (!r.error.is_retryable() || attempt >= max_attempts) {
        co_return "writing counters to the target: " + r.error.message;
      }
      refused(r.error);
    } else if (!current.error.is_retryable() || attempt >= max_attempts) {
      co_return "reading counters on the target: " + current.error.message;
    } else {
      refused(current.error);
    }
    co_await sleep_for(retry_delay(attempt));
  }
}

asio::awaitable<void> unit_copier::acquire_partition_slot(page_writes& pw) {
  while (pw.partition_pending >= shared_.settings.max_partition_concurrency) {
    co_await pw.partition_freed.wait();
  }
  co_await acquire_slot();
}

// Starts one batch's write (a slot is already held, acquire_partition_slot); the page waits for
// pw.pending to drop.
void unit_copier::spawn_batch(page_writes& pw, std::vector<client::statement> batch) {
  const std::size_t bytes = size_of(batch);
  pw.bytes += bytes;
  ++pw.pending;
  ++pw.partition_pending;
  shared_.most_partition_in_flight = std::max(shared_.most_partition_in_flight, pw.partition_pending);
  const std::uint64_t generation = pw.partition_generation;
  asio::co_spawn(
      pw.all_done.get_executor(),
      [this, batch = std::move(batch), bytes, &pw, generation]() mutable -> asio::awaitable<void> {
        auto err = co_await write(std::move(batch), bytes);
        if (generation == pw.partition_generation) {
          --pw.partition_pending;
          pw.partition_freed.notify_all();
        }
        finish_write(pw, err);
      },
      asio::detached);
}

void unit_copier::spawn_counters(page_writes& pw, const table_def& t, const select_layout& l,
                                 protocol::result_row row) {
  ++pw.pending;
  asio::co_spawn(
      pw.all_done.get_executor(),
      [this, &t, &l, row = std::move(row), &pw]() mutable -> asio::awaitable<void> {
        auto err = co_await write_counters(t, l, std::move(row));
        finish_write(pw, err);
      },
      asio::detached);
}

void unit_copier::finish_write(page_writes& pw, const std::string& err) {
  if (!err.empty() && pw.failure.empty()) {
    pw.failure = err;
  }
  release_slot();
  if (--pw.pending == 0) {
    pw.all_done.notify_all();
  }
}

// A page of the source, read with retries while the source pushes back. Shared with the copy
// that reads it ahead (read_ahead): it owns everything it touches, so it may finish after the
// copy gave up on its unit.
struct unit_copier::page_read {
  explicit page_read(asio::any_io_executor ex) : ready(std::move(ex)) {}
  bool done = false;
  client::outcome<client::page> page;
  std::uint64_t retries = 0;  // added to copy_shared by the copy that uses the page
  client::wake_signal ready;
};

std::shared_ptr<unit_copier::page_read> unit_copier::read_ahead(
    std::shared_ptr<client::cql_client> source, std::string select, token_range range,
    std::optional<protocol::bytes> paging) {
  auto read = std::make_shared<page_read>(shared_.slot_freed.get_executor());
  const auto cl = client::consistency_named(shared_.settings.read_consistency);
  const auto page_size = static_cast<std::int32_t>(shared_.settings.page_size);
  asio::co_spawn(
      read->ready.get_executor(),
      [read, source = std::move(source), select = std::move(select), range, cl, page_size,
       paging = std::move(paging)]() -> asio::awaitable<void> {
        for (int attempt = 1;; ++attempt) {
          client::statement s{select, {long_value(range.start), long_value(range.end)}};
          read->page = co_await source->execute(std::move(s), cl, page_size, paging);
          if (read->page || !read->page.error.is_retryable() || attempt >= max_attempts) {
            break;
          }
          ++read->retries;
          co_await sleep_for(std::chrono::milliseconds(100 * attempt));
        }
        read->done = true;
        read->ready.notify_all();
      },
      asio::detached);
  return read;
}

asio::awaitable<unit_result> unit_copier::copy(const table_def& t, unit_state u,
                                                std::int64_t undated_timestamp,
                                                std::shared_ptr<client::cql_client> source) {
  unit_result out;
  const auto& cfg = shared_.settings;
  const auto layout = layout_of(t);
  const std::string select = copy_select(t);
  const bool counters = t.is_counter_table();
  auto ex = co_await asio::this_coro::executor;
  std::string last_partition;
  auto last_checkpoint = std::chrono::steady_clock::now();
  // The next page is read while this one's writes are in flight (the source and the target
  // work at the same time); its paging state is known as soon as this page is.
  auto next = read_ahead(source, select, u.range, u.paging_state);
  for (;;) {
    while (shared_.paused != nullptr && shared_.paused->load()) {
      co_await sleep_for(std::chrono::milliseconds(200));
    }
    while (!next->done) {
      co_await next->ready.wait();
    }
    const auto read = std::move(next);
    shared_.retries += read->retries;
    const client::outcome<client::page>& p = read->page;
    if (!p) {
      out.error = "reading " + t.keyspace + "." + t.name + " from the source: " + p.error.message;
      co_return out;
    }
    const std::optional<protocol::bytes> paging = p.value->paging_state;
    if (paging) {
      next = read_ahead(source, select, u.range, paging);
    }
    const auto& rows = p.value->rows.rows;
    co_await sleep_for(shared_.rows_bucket.take(static_cast<double>(rows.size()),
                                                std::chrono::steady_clock::now()));
    // Writes of this page, concurrently; the page counts only when every write succeeded.
    page_writes pw(ex);
    std::vector<client::statement> partition_batch;
    for (const auto& row : rows) {
      const std::string partition = partition_of(layout, row);
      const bool new_partition = partition != last_partition;
      if (new_partition && !partition_batch.empty()) {
        co_await acquire_partition_slot(pw);
        spawn_batch(pw, std::move(partition_batch));
        partition_batch = {};
      }
      if (new_partition) {
        ++pw.partition_generation;  // the previous partition's batches no longer count
        pw.partition_pending = 0;
      }
      last_partition = partition;
      if (counters) {
        co_await acquire_slot();
        spawn_counters(pw, t, layout, row);
        continue;
      }
      auto writes = writes_for_row(t, layout, row, new_partition, undated_timestamp,
                                   list_timestamp_at(undated_timestamp + 1,
                                                     client::write_clock::system_now_us()));
      for (auto& w : writes) {
        partition_batch.push_back(std::move(w));
        if (partition_batch.size() >= cfg.batch_statements) {
          co_await acquire_partition_slot(pw);
          spawn_batch(pw, std::move(partition_batch));
          partition_batch = {};
        }
      }
    }
    if (!partition_batch.empty()) {
      co_await acquire_partition_slot(pw);
      spawn_batch(pw, std::move(partition_batch));
      partition_batch = {};
    }
    while (pw.pending > 0) {
      co_await pw.all_done.wait();
    }
    const std::string* failure = &pw.failure;
    const std::size_t page_bytes = pw.bytes;
    if (!failure->empty()) {
      out.error = t.keyspace + "." + t.name + " unit " + std::to_string(u.unit) + ": " + *failure;
      co_return out;
    }
    u.rows_copied += static_cast<std::int64_t>(rows.size());
    u.bytes_copied += static_cast<std::int64_t>(page_bytes);
    shared_.rows += rows.size();
    shared_.table_rows[t.keyspace + "." + t.name] += rows.size();
    shared_.bytes += page_bytes;
    if (!paging) {
      auto finished = co_await finish_unit(store_, u, owner_);
      co_return finished;
    }
    u.paging_state = paging;
    // A checkpoint (a lightweight transaction, four round trips) at most once a
    // checkpoint_interval rather than after every page: a resumed unit copies again at most
    // that much (the same cells, the same writetimes), and the lease is renewed far more
    // often than it runs out.
    const auto now = std::chrono::steady_clock::now();
    if (now - last_checkpoint < checkpoint_interval(cfg.lease)) {
      continue;
    }
    last_checkpoint = now;
    auto saved = co_await store_.checkpoint(u, owner_, cfg.lease);
    if (!saved) {
      out.error = "saving a checkpoint: " + saved.error.message;
      co_return out;
    }
    if (!*saved.value) {
      out.lost_lease = true;
      co_return out;
    }
  }
}

}  // namespace tandem::backfill
