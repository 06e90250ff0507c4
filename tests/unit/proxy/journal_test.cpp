// The journal's record framing (a CRC per record, a torn tail detected) and its store: group
// commit leaves out what is confirmed before the sync, records survive a reopen, a torn last
// record is dropped and counted, confirmed segments are deleted.
#include "proxy/journal.hpp"
#include "proxy/journal_replay.hpp"

#include "unit/test_hex.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace tandem::proxy {
namespace {

namespace fs = std::filesystem;

journal_record sample(std::string text = "INSERT INTO ks.t (k, v) VALUES (?, ?)") {
  journal_record r;
  r.version = protocol::protocol_version::v5;
  r.op = protocol::opcode::execute;
  r.keyspace = "app";
  r.table = "ks.t";
  r.statements = {{"app", std::move(text)}};
  r.message = test::from_hex("0010aabbccdd0000000100");
  return r;
}

protocol::bytes read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  protocol::bytes out(raw.size());
  std::memcpy(out.data(), raw.data(), raw.size());
  return out;
}

TEST(JournalRecord, Crc32cIsCastagnoli) {
  // The check value of CRC-32C: "123456789" -> 0xE3069283.
  const std::string check = "123456789";
  EXPECT_EQ(crc32c(protocol::bytes_view(reinterpret_cast<const std::byte*>(check.data()),
                                        check.size())),
            0xE3069283u);
}

TEST(JournalReplay, JudgesAnswers) {
  EXPECT_EQ(judge_replay(std::nullopt), replay_verdict::done);
  EXPECT_EQ(judge_replay(0x1001), replay_verdict::retry);        // Overloaded
  EXPECT_EQ(judge_replay(0x1100), replay_verdict::retry);        // Write_timeout
  EXPECT_EQ(judge_replay(0x2500), replay_verdict::reprepare);    // Unprepared
  EXPECT_EQ(judge_replay(0x2200), replay_verdict::dead_letter);  // Invalid
  EXPECT_EQ(judge_replay(0x2100), replay_verdict::dead_letter);  // Unauthorized
}

TEST(JournalRecord, FramesRoundTripAndATornTailEndsTheScan) {
  auto a = sample();
  a.seq = 7;
  auto b = sample("UPDATE ks.t SET v = ? WHERE k = ?");
  b.seq = 8;
  b.replay_safe = false;
  b.op = protocol::opcode::batch;
  b.statements.push_back({"", "INSERT INTO other.t (k) VALUES (?)"});
  protocol::bytes file = journal_header();
  for (const auto& r : {a, b}) {
    const auto f = encode_journal_frame(r);
    file.insert(file.end(), f.begin(), f.end());
  }
  auto whole = scan_journal_segment(file);
  ASSERT_TRUE(whole.header_ok);
  EXPECT_FALSE(whole.torn);
  ASSERT_EQ(whole.records.size(), 2u);
  EXPECT_EQ(whole.records[0], a);
  EXPECT_EQ(whole.records[1], b);
  // Cut in the middle of the second record: the first survives, the tail is torn.
  const std::size_t first_end = journal_header().size() + encode_journal_frame(a).size();
  auto cut = scan_journal_segment(protocol::bytes_view(file).first(file.size() - 5));
  EXPECT_TRUE(cut.torn);
  ASSERT_EQ(cut.records.size(), 1u);
  EXPECT_EQ(cut.good_bytes, first_end);
  // A flipped bit in the second payload: its CRC no longer matches.
  protocol::bytes flipped = file;
  flipped[first_end + journal_frame_overhead + 3] ^= std::byte{0x10};
  auto bad = scan_journal_segment(flipped);
  EXPECT_TRUE(bad.torn);
  EXPECT_EQ(bad.records.size(), 1u);
  EXPECT_FALSE(scan_journal_segment(test::from_hex("00112233")).header_ok);
}

class JournalStore : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tandem-journal-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  journal_options options(std::chrono::microseconds interval = std::chrono::milliseconds(5)) {
    journal_options o;
    o.dir = dir_.string();
    o.sync_interval = interval;
    return o;
  }
  std::vector<fs::path> segments() const {
    std::vector<fs::path> out;
    for (const auto& f : fs::directory_iterator(dir_)) {
      if (f.path().extension() == ".tj") {
        out.push_back(f.path());
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  // Waits (bounded) until `done` is true: the writer thread works on its own clock.
  static bool eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 2000 && !done(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return done();
  }
  fs::path dir_;
};

TEST_F(JournalStore, ARecordConfirmedBeforeTheSyncIsNeverWritten) {
  journal j(options(std::chrono::milliseconds(200)));
  std::atomic<int> durable{0};
  auto seq = j.append(sample(), [&](bool ok) { durable += ok ? 1 : 100; });
  ASSERT_TRUE(seq);
  j.confirm(*seq);
  ASSERT_TRUE(eventually([&] { return durable.load() == 1; }));
  EXPECT_EQ(j.counters().skipped.load(), 1u);
  EXPECT_EQ(j.counters().written.load(), 0u);
  EXPECT_EQ(j.counters().fsyncs.load(), 0u);
  EXPECT_EQ(j.state().pending_records, 0u);
}

// The cutover gate counts the failed writes (state().failed), not the ones merely in flight:
// under a live workload there are always some of those.
TEST_F(JournalStore, OnlyWritesThatFailedCountAsFailed) {
  journal j(options());
  std::atomic<int> durable{0};
  std::vector<std::uint64_t> seqs;
  for (int i = 0; i < 4; ++i) {
    seqs.push_back(*j.append(sample("INSERT " + std::to_string(i)), [&](bool ok) { durable += ok; }));
  }
  ASSERT_TRUE(eventually([&] { return durable.load() == 4; }));
  EXPECT_EQ(j.state().pending_records, 4u);
  EXPECT_EQ(j.state().failed, 0u);  // in flight: not failed
  j.replay(seqs[1]);
  j.replay(seqs[2]);
  j.replay(seqs[2]);  // asked twice, counted once
  EXPECT_EQ(j.state().failed, 2u);
  auto r = j.next_for_replay();  // being replayed: still failed until confirmed
  ASSERT_TRUE(r);
  EXPECT_EQ(j.state().failed, 2u);
  j.confirm(seqs[1]);
  EXPECT_EQ(j.state().failed, 1u);
  j.confirm(seqs[0]);  // an in-flight write confirmed: the count does not move
  EXPECT_EQ(j.state().failed, 1u);
  j.confirm(seqs[2]);
  j.confirm(seqs[3]);
  EXPECT_EQ(j.state().failed, 0u);
  EXPECT_EQ(j.state().pending_records, 0u);
}

TEST_F(JournalStore, UnconfirmedRecordsSurviveAReopenInOrder) {
  std::uint64_t last = 0;
  {
    journal j(options());
    std::atomic<int> durable{0};
    for (int i = 0; i < 3; ++i) {
      last = *j.append(sample("INSERT " + std::to_string(i)), [&](bool ok) { durable += ok; });
    }
    ASSERT_TRUE(eventually([&] { return durable.load() == 3; }));
    EXPECT_EQ(j.state().pending_records, 3u);
    EXPECT_EQ(j.counters().fsyncs.load(), 1u);  // one group commit for the three
  }
  journal j(options());
  EXPECT_EQ(j.counters().recovered.load(), 3u);
  EXPECT_EQ(j.state().replay_queue, 3u);
  EXPECT_EQ(j.state().failed, 3u);  // what an earlier run left counts as failed
  for (int i = 0; i < 3; ++i) {
    auto r = j.next_for_replay();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->statements.front().text, "INSERT " + std::to_string(i));
  }
  EXPECT_FALSE(j.next_for_replay());
  auto fresh = j.append(sample(), nullptr);
  ASSERT_TRUE(fresh);
  EXPECT_GT(*fresh, last);  // sequence numbers continue after the recovered ones
}

TEST_F(JournalStore, ATornLastRecordIsDroppedAndCounted) {
  {
    journal j(options());
    std::atomic<int> durable{0};
    for (int i = 0; i < 2; ++i) {
      j.append(sample("INSERT " + std::to_string(i)), [&](bool ok) { durable += ok; });
    }
    ASSERT_TRUE(eventually([&] { return durable.load() == 2; }));
  }
  const auto files = segments();
  ASSERT_EQ(files.size(), 1u);
  fs::resize_file(files.front(), fs::file_size(files.front()) - 3);
  journal j(options());
  EXPECT_EQ(j.counters().torn_dropped.load(), 1u);
  EXPECT_EQ(j.counters().recovered.load(), 1u);
  auto r = j.next_for_replay();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->statements.front().text, "INSERT 0");
  // The torn bytes were cut off the file: a scan now reads it whole.
  EXPECT_FALSE(scan_journal_segment(read_file(files.front())).torn);
}

TEST_F(JournalStore, ConfirmedSegmentsAreDeletedAndTheFullJournalRefuses) {
  auto o = options();
  o.segment_bytes = 64;  // every batch starts a new segment
  o.max_bytes = 600;
  journal j(o);
  std::vector<std::uint64_t> seqs;
  for (int i = 0; i < 3; ++i) {
    std::atomic<bool> durable{false};
    seqs.push_back(*j.append(sample(), [&](bool) { durable = true; }));
    ASSERT_TRUE(eventually([&] { return durable.load(); }));
  }
  EXPECT_EQ(segments().size(), 3u);
  std::optional<std::uint64_t> refused;
  for (int i = 0; i < 20 && !refused.has_value(); ++i) {
    if (!j.append(sample(), nullptr)) {
      refused = i;
    }
  }
  EXPECT_TRUE(refused.has_value());
  EXPECT_GE(j.counters().refused_full.load(), 1u);
  for (auto s : seqs) {
    j.confirm(s);
  }
  // The first two segments are closed and now fully confirmed; the third is still being
  // appended to (or holds the records appended after it).
  EXPECT_LE(segments().size(), 2u);
  EXPECT_FALSE(fs::exists(dir_ / "segment-00000000000000000001.tj"));
}

TEST_F(JournalStore, ASecondProxyCannotShareTheDirectory) {
  journal first(options());
  EXPECT_THROW(journal second(options()), journal_error);
}

TEST_F(JournalStore, DeadLettersAreWrittenWithTheirError) {
  journal j(options());
  auto seq = j.append(sample(), nullptr);
  j.replay(*seq);
  auto r = j.next_for_replay();
  ASSERT_TRUE(r);
  j.dead_letter(*r, "Invalid: unconfigured table t");
  EXPECT_EQ(j.state().pending_records, 0u);
  ASSERT_EQ(j.state().dead_letters.size(), 1u);
  EXPECT_NE(j.state().dead_letters.front().find("unconfigured table"), std::string::npos);
  std::ifstream in(dir_ / "dead-letters.jsonl");
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_NE(line.find("\"table\":\"ks.t\""), std::string::npos);
}

}  // namespace
}  // namespace tandem::proxy
