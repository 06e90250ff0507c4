// A blocking CQL connection built from protocol/ and a plain Boost.Asio socket, for tests
// against the real nodes. It does exactly what the spec asks of a client and nothing more:
// unframed OPTIONS/STARTUP, then (v5) segments after READY/AUTHENTICATE (spec v5 §2.3.1), or
// (v4) per-frame body compression when COMPRESSION was agreed (spec v4 §2.2, §5).
#pragma once

#include "protocol/compression.hpp"
#include "protocol/frame.hpp"
#include "protocol/segment.hpp"

#include <boost/asio.hpp>

#include <sys/socket.h>
#include <sys/time.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace tandem::test {

struct raw_frame {
  protocol::frame_header header;
  protocol::bytes body;  // decompressed
};

inline std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

class raw_cql_connection {
 public:
  raw_cql_connection(const std::string& host, unsigned short port, protocol::protocol_version v)
      : socket_(io_), version_(v), reassembler_(false) {
    boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address(host), port);
    socket_.connect(ep);
    // A node that stops answering fails the test after 20 s instead of hanging the suite.
    timeval timeout{20, 0};
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }

  protocol::protocol_version version() const { return version_; }

  // From the next frame on, frames use the outer framing and compression the STARTUP agreed.
  void begin_framing(protocol::compression_algorithm c) {
    compression_ = c;
    framed_ = version_ == protocol::protocol_version::v5;
    reassembler_ = protocol::segment_reassembler(c == protocol::compression_algorithm::lz4);
    if (!pending_.empty()) {
      reassembler_.feed(pending_);
      pending_.clear();
    }
  }

  void send(protocol::opcode op, const protocol::bytes& body, std::int16_t stream = 0) {
    protocol::frame_header h{version_, false, 0, stream, op, 0};
    protocol::bytes frame_body = body;
    if (!framed_ && compression_ != protocol::compression_algorithm::none &&
        op != protocol::opcode::startup && op != protocol::opcode::options) {
      frame_body = protocol::compress_body(compression_, body).value();
      h.flags |= protocol::frame_flags::compression;
    }
    protocol::bytes frame = protocol::encode_frame(h, frame_body);
    if (framed_) {
      protocol::bytes_view one[] = {frame};
      frame = protocol::encode_envelopes_to_segments(one, compression_ ==
                                                              protocol::compression_algorithm::lz4);
    }
    boost::asio::write(socket_, boost::asio::buffer(frame.data(), frame.size()));
  }

  raw_frame receive() {
    for (;;) {
      if (framed_) {
        auto env = reassembler_.next().value();
        if (env) {
          auto step = protocol::decode_frame(*env).value();
          if (!step.frame) {
            throw std::runtime_error("segment held an incomplete envelope");
          }
          return raw_frame{step.frame->header, protocol::bytes(step.frame->body.begin(),
                                                               step.frame->body.end())};
        }
      } else {
        auto step = protocol::decode_frame(pending_).value();
        if (step.frame) {
          raw_frame out{step.frame->header,
                        protocol::bytes(step.frame->body.begin(), step.frame->body.end())};
          pending_.erase(pending_.begin(),
                         pending_.begin() + static_cast<std::ptrdiff_t>(step.consumed));
          if ((out.header.flags & protocol::frame_flags::compression) != 0) {
            out.body = protocol::decompress_body(compression_, out.body,
                                                 protocol::default_max_frame_body)
                           .value();
            out.header.flags &= static_cast<std::uint8_t>(~protocol::frame_flags::compression);
          }
          return out;
        }
      }
      read_some();
    }
  }

 private:
  void read_some() {
    std::array<std::byte, 65536> buf;
    const std::size_t n = socket_.read_some(boost::asio::buffer(buf.data(), buf.size()));
    protocol::bytes_view got(buf.data(), n);
    if (framed_) {
      reassembler_.feed(got);
    } else {
      pending_.insert(pending_.end(), got.begin(), got.end());
    }
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  protocol::protocol_version version_;
  protocol::compression_algorithm compression_ = protocol::compression_algorithm::none;
  bool framed_ = false;
  protocol::bytes pending_;
  protocol::segment_reassembler reassembler_;
};

}  // namespace tandem::test
