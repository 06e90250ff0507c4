// One record of the proxy's write-ahead journal (issue 14) and its framing on disk. Pure: bytes
// in, bytes out; the files are journal.cpp's.
//
// A record holds what a mirrored write needs to be sent to the secondary again without the
// client: the request message as the proxy sent it (the pinned timestamp and the values for
// now()/uuid() already in it), the protocol version it is encoded in, the USE keyspace, and
// for each prepared id in it the statement's text and keyspace (a prepared id means nothing
// to a new connection: the replayer prepares the text again).
//
// On disk a segment is a header, "TNDJ" and a [u32] format version, then frames:
//   [u32 length][u32 CRC32C of the payload][payload of `length` bytes]
// all little-endian. A frame whose length runs past the end of the file, or whose CRC does not
// match, ends the segment: a torn write of the last record before a crash (Cassandra's
// commitlog reads its segments the same way: a CRC per entry, the first bad one ends replay).
#pragma once

#include "protocol/frame.hpp"
#include "protocol/types.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tandem::proxy {

inline constexpr std::uint32_t journal_format_version = 1;
inline constexpr std::size_t journal_header_bytes = 8;   // "TNDJ" + version
inline constexpr std::size_t journal_frame_overhead = 8;  // length + CRC
// A frame longer than this is not one the proxy wrote (a frame body is at most 256 MiB).
inline constexpr std::uint32_t journal_max_payload = (256u << 20) + (1u << 20);

struct journal_statement {
  std::string keyspace;  // the keyspace it was prepared in ("" if none)
  std::string text;      // as sent to the clusters (with the proxy's added markers)

  friend bool operator==(const journal_statement&, const journal_statement&) = default;
};

struct journal_record {
  std::uint64_t seq = 0;  // append order, unique in one journal
  bool to_source = false;  // the cluster that missed it: the secondary when it was sent
  protocol::protocol_version version = protocol::protocol_version::v4;
  protocol::opcode op = protocol::opcode::query;  // QUERY, EXECUTE or BATCH
  // A write Cassandra cannot apply twice with the same result (a counter update, a list
  // append/prepend, an LWT): never sent again blindly; its table is marked for validation.
  bool replay_safe = true;
  std::string keyspace;  // the connection's USE keyspace when the client sent it
  std::string table;     // "keyspace.table" of the write, for marking ("" if unknown)
  std::vector<journal_statement> statements;  // one per prepared id, in message order
  protocol::bytes message;                    // the request body after any frame prefix

  friend bool operator==(const journal_record&, const journal_record&) = default;
};

// CRC-32C (Castagnoli), as Cassandra's commitlog and most storage formats use.
std::uint32_t crc32c(protocol::bytes_view data) noexcept;

// The segment header.
protocol::bytes journal_header();
// One framed record: length, CRC, payload.
protocol::bytes encode_journal_frame(const journal_record& r);

struct journal_scan {
  std::vector<journal_record> records;  // the intact frames, in file order
  std::size_t good_bytes = 0;           // header + intact frames: where a torn tail starts
  bool header_ok = false;
  bool torn = false;  // bytes after good_bytes that are not an intact frame (dropped)
};

// Reads a whole segment file's contents. A bad header reads as no records and not ok.
journal_scan scan_journal_segment(protocol::bytes_view file);

}  // namespace tandem::proxy
