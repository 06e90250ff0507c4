#include "proxy/journal_record.hpp"

#include <boost/crc.hpp>

#include <cstring>

namespace tandem::proxy {

namespace {

// Little-endian integers and length-prefixed strings: the payload's own encoding (not the CQL
// wire's big-endian one, which the message inside keeps as it is).
class payload_writer {
 public:
  void u8(std::uint8_t v) { out_.push_back(static_cast<std::byte>(v)); }
  void u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) {
      u8(static_cast<std::uint8_t>(v >> (8 * i)));
    }
  }
  void u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      u8(static_cast<std::uint8_t>(v >> (8 * i)));
    }
  }
  void blob(protocol::bytes_view b) {
    u32(static_cast<std::uint32_t>(b.size()));
    out_.insert(out_.end(), b.begin(), b.end());
  }
  void text(const std::string& s) {
    blob(protocol::bytes_view(reinterpret_cast<const std::byte*>(s.data()), s.size()));
  }
  protocol::bytes take() { return std::move(out_); }

 private:
  protocol::bytes out_;
};

class payload_reader {
 public:
  explicit payload_reader(protocol::bytes_view b) : b_(b) {}
  bool ok() const noexcept { return ok_; }
  bool done() const noexcept { return ok_ && pos_ == b_.size(); }
  std::uint64_t uint(int n) {
    if (!need(static_cast<std::size_t>(n))) {
      return 0;
    }
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) {
      v |= static_cast<std::uint64_t>(std::to_integer<std::uint8_t>(b_[pos_ + static_cast<std::size_t>(i)]))
           << (8 * i);
    }
    pos_ += static_cast<std::size_t>(n);
    return v;
  }
  protocol::bytes_view blob() {
    const auto n = static_cast<std::size_t>(uint(4));
    if (!need(n)) {
      return {};
    }
    auto out = b_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  std::string text() {
    auto b = blob();
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  }

 private:
  bool need(std::size_t n) {
    ok_ = ok_ && b_.size() - pos_ >= n;
    return ok_;
  }
  protocol::bytes_view b_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

constexpr char magic[4] = {'T', 'N', 'D', 'J'};

std::uint32_t le32(protocol::bytes_view b) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    v |= static_cast<std::uint32_t>(std::to_integer<std::uint8_t>(b[static_cast<std::size_t>(i)]))
         << (8 * i);
  }
  return v;
}

std::optional<journal_record> decode_payload(protocol::bytes_view payload) {
  payload_reader r(payload);
  journal_record rec;
  rec.seq = r.uint(8);
  rec.version = static_cast<protocol::protocol_version>(r.uint(1));
  rec.op = static_cast<protocol::opcode>(r.uint(1));
  const auto bits = r.uint(1);
  rec.replay_safe = (bits & 1) != 0;
  rec.to_source = (bits & 2) != 0;
  rec.keyspace = r.text();
  rec.table = r.text();
  const auto n = r.uint(4);
  for (std::uint64_t i = 0; i < n && r.ok(); ++i) {
    journal_statement s;
    s.keyspace = r.text();
    s.text = r.text();
    rec.statements.push_back(std::move(s));
  }
  auto message = r.blob();
  rec.message.assign(message.begin(), message.end());
  if (!r.done()) {
    return std::nullopt;
  }
  return rec;
}

}  // namespace

std::uint32_t crc32c(protocol::bytes_view data) noexcept {
  boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc;
  crc.process_bytes(data.data(), data.size());
  return crc.checksum();
}

protocol::bytes journal_header() {
  payload_writer w;
  for (char c : magic) {
    w.u8(static_cast<std::uint8_t>(c));
  }
  w.u32(journal_format_version);
  return w.take();
}

protocol::bytes encode_journal_frame(const journal_record& r) {
  payload_writer p;
  p.u64(r.seq);
  p.u8(static_cast<std::uint8_t>(r.version));
  p.u8(static_cast<std::uint8_t>(r.op));
  p.u8(static_cast<std::uint8_t>((r.replay_safe ? 1 : 0) | (r.to_source ? 2 : 0)));
  p.text(r.keyspace);
  p.text(r.table);
  p.u32(static_cast<std::uint32_t>(r.statements.size()));
  for (const auto& s : r.statements) {
    p.text(s.keyspace);
    p.text(s.text);
  }
  p.blob(r.message);
  const protocol::bytes payload = p.take();
  payload_writer f;
  f.u32(static_cast<std::uint32_t>(payload.size()));
  f.u32(crc32c(payload));
  protocol::bytes out = f.take();
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

journal_scan scan_journal_segment(protocol::bytes_view file) {
  journal_scan out;
  const auto header = journal_header();
  if (file.size() < header.size() || std::memcmp(file.data(), header.data(), header.size()) != 0) {
    out.torn = !file.empty();
    return out;
  }
  out.header_ok = true;
  std::size_t pos = header.size();
  while (file.size() - pos >= journal_frame_overhead) {
    const std::uint32_t length = le32(file.subspan(pos, 4));
    const std::uint32_t crc = le32(file.subspan(pos + 4, 4));
    if (length > journal_max_payload || file.size() - pos - journal_frame_overhead < length) {
      break;
    }
    const auto payload = file.subspan(pos + journal_frame_overhead, length);
    if (crc32c(payload) != crc) {
      break;
    }
    auto rec = decode_payload(payload);
    if (!rec) {
      break;
    }
    out.records.push_back(std::move(*rec));
    pos += journal_frame_overhead + length;
  }
  out.good_bytes = pos;
  out.torn = pos != file.size();
  return out;
}

}  // namespace tandem::proxy
