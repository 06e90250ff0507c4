#include "proxy/literal_values.hpp"

#include <cstdio>
#include <ctime>

namespace tandem::proxy {
namespace {

using protocol::cql::nondeterministic_function;

// 100-ns intervals between the UUID epoch (1582-10-15) and the Unix epoch (RFC 4122 §4.1.4).
constexpr std::int64_t uuid_epoch_offset = 0x01B21DD213814000LL;

std::array<std::uint8_t, 16> timeuuid_bytes(const literal_inputs& in) {
  const auto t = static_cast<std::uint64_t>(in.micros_since_epoch * 10 + uuid_epoch_offset);
  std::array<std::uint8_t, 16> u{};
  const std::uint32_t time_low = static_cast<std::uint32_t>(t & 0xFFFFFFFF);
  const std::uint16_t time_mid = static_cast<std::uint16_t>((t >> 32) & 0xFFFF);
  const std::uint16_t time_hi = static_cast<std::uint16_t>(((t >> 48) & 0x0FFF) | 0x1000);
  for (int i = 0; i < 4; ++i) {
    u[i] = static_cast<std::uint8_t>(time_low >> (24 - 8 * i));
  }
  u[4] = static_cast<std::uint8_t>(time_mid >> 8);
  u[5] = static_cast<std::uint8_t>(time_mid);
  u[6] = static_cast<std::uint8_t>(time_hi >> 8);
  u[7] = static_cast<std::uint8_t>(time_hi);
  u[8] = static_cast<std::uint8_t>((in.random[0] & 0x3F) | 0x80);  // RFC 4122 variant
  for (int i = 9; i < 16; ++i) {
    u[i] = in.random[i];
  }
  return u;
}

std::array<std::uint8_t, 16> random_uuid_bytes(const literal_inputs& in) {
  auto u = in.random;
  u[6] = static_cast<std::uint8_t>((u[6] & 0x0F) | 0x40);  // version 4
  u[8] = static_cast<std::uint8_t>((u[8] & 0x3F) | 0x80);
  return u;
}

std::string uuid_text(const std::array<std::uint8_t, 16>& u) {
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
                u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
                u[14], u[15]);
  return out;
}

std::tm utc_of(std::int64_t micros) {
  const std::time_t secs = static_cast<std::time_t>(micros / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

protocol::bytes be(std::uint64_t v, int n) {
  protocol::bytes out;
  for (int i = n - 1; i >= 0; --i) {
    out.push_back(static_cast<std::byte>((v >> (8 * i)) & 0xFF));
  }
  return out;
}

std::int64_t micros_of_day(std::int64_t micros) {
  constexpr std::int64_t day = 86'400'000'000LL;
  return ((micros % day) + day) % day;
}

}  // namespace

std::string literal_for(nondeterministic_function f, const literal_inputs& in) {
  switch (f) {
    case nondeterministic_function::now:
    case nondeterministic_function::current_timeuuid:
      return uuid_text(timeuuid_bytes(in));
    case nondeterministic_function::uuid:
      return uuid_text(random_uuid_bytes(in));
    case nondeterministic_function::current_timestamp:
      // An integer literal is a valid timestamp (milliseconds since the epoch).
      return std::to_string(in.micros_since_epoch / 1000);
    case nondeterministic_function::current_date: {
      const std::tm tm = utc_of(in.micros_since_epoch);
      char out[48];
      std::snprintf(out, sizeof out, "'%04d-%02d-%02d'", tm.tm_year + 1900, tm.tm_mon + 1,
                    tm.tm_mday);
      return out;
    }
    case nondeterministic_function::current_time: {
      const std::int64_t us = micros_of_day(in.micros_since_epoch);
      char out[64];
      std::snprintf(out, sizeof out, "'%02lld:%02lld:%02lld.%06lld000'",
                    static_cast<long long>(us / 3'600'000'000LL),
                    static_cast<long long>(us / 60'000'000LL % 60),
                    static_cast<long long>(us / 1'000'000LL % 60),
                    static_cast<long long>(us % 1'000'000LL));
      return out;
    }
  }
  return "null";
}

protocol::bytes value_for(nondeterministic_function f, const literal_inputs& in) {
  switch (f) {
    case nondeterministic_function::now:
    case nondeterministic_function::current_timeuuid: {
      auto u = timeuuid_bytes(in);
      return protocol::bytes(reinterpret_cast<const std::byte*>(u.data()),
                             reinterpret_cast<const std::byte*>(u.data()) + 16);
    }
    case nondeterministic_function::uuid: {
      auto u = random_uuid_bytes(in);
      return protocol::bytes(reinterpret_cast<const std::byte*>(u.data()),
                             reinterpret_cast<const std::byte*>(u.data()) + 16);
    }
    case nondeterministic_function::current_timestamp:
      return be(static_cast<std::uint64_t>(in.micros_since_epoch / 1000), 8);
    case nondeterministic_function::current_date: {
      // spec v4 §6.5 date: days since the epoch, centred on 2^31.
      const std::int64_t days = in.micros_since_epoch / 86'400'000'000LL;
      return be(static_cast<std::uint64_t>(days + (1LL << 31)), 4);
    }
    case nondeterministic_function::current_time:
      return be(static_cast<std::uint64_t>(micros_of_day(in.micros_since_epoch) * 1000), 8);
  }
  return {};
}

}  // namespace tandem::proxy
