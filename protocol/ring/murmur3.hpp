// The token Cassandra's Murmur3Partitioner gives a partition key (the default partitioner since
// Cassandra 1.2): the first 64 bits of MurmurHash3 x64/128 with seed 0 over the key's bytes,
// with Long.MIN_VALUE moved to Long.MAX_VALUE (that token is the ring's minimum, never a key's).
//
// Two details make it Cassandra's and not the reference MurmurHash3: the tail bytes (the last
// length % 16) are read as *signed* Java bytes, so a tail byte >= 0x80 sign-extends into the
// bits above it; and a partition key of several columns is hashed in CompositeType form: for each
// component a 2-byte big-endian length, the bytes, and a 0 end-of-component byte.
#pragma once

#include "protocol/types.hpp"

#include <cstdint>
#include <optional>
#include <span>

namespace tandem::protocol {

// The token of a partition key given as its serialized bytes (one column: the value's bytes).
std::int64_t murmur3_token(bytes_view key) noexcept;

// The routing key of a partition key of one or more columns, in the order of the table's
// partition key: the value itself for one column, CompositeType form for several. nullopt when
// a component is null or longer than 65,535 bytes (such a key cannot be routed).
std::optional<bytes> routing_key(std::span<const std::optional<bytes_view>> components);

// murmur3_token of routing_key(components), without building the key for one column.
std::optional<std::int64_t> routing_token(std::span<const std::optional<bytes_view>> components);

}  // namespace tandem::protocol
