// Error codes of the protocol library. Wire input never throws: every decoder returns
// protocol::result<T>, whose error is one of these codes (STYLE.md rule 1 and 3).
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <type_traits>
#include <utility>

namespace tandem::protocol {

enum class errc {
  ok = 0,
  truncated,              // a length or count points past the bytes that are there
  frame_too_long,         // a frame or segment body above the configured maximum
  unsupported_version,    // protocol version other than 3, 4, 5
  bad_direction,          // a request where a response was expected, or the reverse
  unknown_opcode,
  negative_length,        // a negative length other than the null/unset markers of spec §3
  bad_value,              // a field holds a value the spec does not allow
  trailing_bytes,         // a message body longer than its content
  crc_mismatch,           // v5 segment header CRC24 or payload CRC32 (spec v5 §2.2)
  decompression_failed,
  compression_failed,
  not_a_request_with_parameters,  // an edit asked of a message that has no such field
  cql_unterminated,               // CQL text with an unterminated string, quoted name or comment
};

const boost::system::error_category& protocol_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), protocol_category()};
}

template <class T>
using result = boost::system::result<T, boost::system::error_code>;

}  // namespace tandem::protocol

// TANDEM_TRY(auto x, expr): evaluates expr (a result<T>); on error returns the error from the
// enclosing function, otherwise declares x from the value. TANDEM_TRY_VOID(expr) for result<void>.
#define TANDEM_CONCAT_INNER(a, b) a##b
#define TANDEM_CONCAT(a, b) TANDEM_CONCAT_INNER(a, b)
#define TANDEM_TRY(decl, expr)                                   \
  auto&& TANDEM_CONCAT(tandem_try_, __LINE__) = (expr);          \
  if (!TANDEM_CONCAT(tandem_try_, __LINE__)) {                   \
    return TANDEM_CONCAT(tandem_try_, __LINE__).error();         \
  }                                                              \
  decl = std::move(*TANDEM_CONCAT(tandem_try_, __LINE__))
#define TANDEM_TRY_VOID(expr)                                    \
  do {                                                           \
    auto&& tandem_try_void = (expr);                             \
    if (!tandem_try_void) {                                      \
      return tandem_try_void.error();                            \
    }                                                            \
  } while (false)

template <>
struct boost::system::is_error_code_enum<tandem::protocol::errc> : std::true_type {};
