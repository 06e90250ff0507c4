// The proxy's map of prepared statements (DESIGN.md, prepared statements): PREPARE goes to both
// clusters, the client sees the primary's id, and this bounded LRU map keeps, per client-visible
// id, the other cluster's id and what is needed to re-prepare transparently on UNPREPARED (the
// query text and keyspace). Shared by every worker thread, so it is the one explicitly
// synchronised structure on the hot path (STYLE.md rule 4): a std::mutex held only for map
// updates; lookups hand out a shared_ptr<const prepared_entry> that stays valid after eviction.
#pragma once

#include "protocol/cql/classifier.hpp"
#include "protocol/types.hpp"
#include "proxy/prepared_rewrite.hpp"
#include "proxy/routing.hpp"

#include <cstddef>
#include <cstdint>
#include <array>
#include <atomic>
#include <list>
#include <memory>
#include <mutex>
#include <string_view>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace tandem::proxy {

struct prepared_entry {
  // The id the client got: the primary's at PREPARE time. The map's key.
  protocol::bytes primary_id;
  // v5 result_metadata_id that came with primary_id (empty in v3/v4).
  protocol::bytes primary_result_metadata_id;
  // The cluster that issued primary_id. After a flip the client keeps using ids of the old
  // primary, so the session asks id_for(cluster) rather than assuming primary == current.
  cluster primary_cluster = cluster::source;
  // The other cluster's id and v5 result_metadata_id; empty when the statement was prepared on
  // one cluster only (a topology_read prepared by the proxy, or a secondary that failed).
  protocol::bytes secondary_id;
  protocol::bytes secondary_result_metadata_id;

  std::string query;           // as the client sent it
  std::string prepared_query;  // as sent to the clusters (with added bind markers if rewritten)
  std::optional<std::string> keyspace;  // the PREPARE's v5 keyspace, or the USE keyspace then
  request_class cls = request_class::other;  // classify_statement of the query

  // The statement was prepared with one extra bind marker per nondeterministic call (now(),
  // uuid(), ...), whose value the proxy supplies at each EXECUTE so both clusters store the
  // same value (prepared_rewrite.hpp). Empty when the statement was prepared as sent.
  std::vector<added_marker> added_markers;

  // Token-aware routing (token_routing.cpp): the bind markers of the partition key, in key
  // order (the PREPARED metadata's pk_indexes, v4+, of the statement as sent to the clusters),
  // and the keyspace of the table they belong to. Empty: not routed by token.
  std::vector<std::uint16_t> pk_indexes;
  std::string table_keyspace;

  // The id / result metadata id the cluster `c` knows this statement by.
  const protocol::bytes& id_for(cluster c) const noexcept {
    return c == primary_cluster ? primary_id : secondary_id;
  }
  const protocol::bytes& result_metadata_id_for(cluster c) const noexcept {
    return c == primary_cluster ? primary_result_metadata_id : secondary_result_metadata_id;
  }

  friend bool operator==(const prepared_entry&, const prepared_entry&) = default;
};

class prepared_id_map {
 public:
  using entry_ptr = std::shared_ptr<const prepared_entry>;

  // capacity: the most entries kept (config); the least recently used go first. Throws
  // std::invalid_argument for 0 (the config loader rejects it before).
  explicit prepared_id_map(std::size_t capacity);

  prepared_id_map(const prepared_id_map&) = delete;
  prepared_id_map& operator=(const prepared_id_map&) = delete;

  // Inserts `e` under e.primary_id, or replaces the entry already there (update in place: a
  // re-PREPARE of the same text gets the same id from Cassandra). Either way the entry becomes
  // the most recently used; inserting beyond capacity evicts the least recently used.
  // Returns the stored entry.
  entry_ptr put(prepared_entry e);

  // The entry whose client-visible id is `primary_id`, marked most recently used; nullptr if
  // none (the session then answers UNPREPARED so the client re-prepares).
  entry_ptr find(protocol::bytes_view primary_id);

  // The entry whose secondary_id is `id`, marked most recently used; nullptr if none. Needed
  // after a flip, when a client re-prepares and gets the new primary's id, which an entry
  // already holds as its secondary id. With several entries sharing one secondary id, the most
  // recently put one.
  entry_ptr find_by_secondary(protocol::bytes_view id);

  // Replaces the secondary ids of the entry under primary_id (after re-preparing on the
  // secondary following UNPREPARED). Returns the updated entry, nullptr if none.
  entry_ptr update_secondary(protocol::bytes_view primary_id, protocol::bytes secondary_id,
                             protocol::bytes secondary_result_metadata_id);

  // Removes the entry under primary_id; false if none.
  bool erase(protocol::bytes_view primary_id);

  std::size_t size() const;
  std::size_t capacity() const noexcept { return capacity_; }

  // Moves whenever an entry is replaced or removed by put, update_secondary or erase (not when
  // one is added or evicted: an evicted entry is still true of the clusters). An entry found
  // earlier is still the map's while this has not moved (prepared_lookup_cache).
  std::uint64_t generation() const noexcept { return generation_.load(std::memory_order_acquire); }
  std::uint64_t evictions() const;

 private:
  using lru_list = std::list<entry_ptr>;  // front = most recently used

  void touch(lru_list::iterator it);
  void unlink_secondary(const prepared_entry& e);
  void link_secondary(const prepared_entry& e);
  void remove(lru_list::iterator it);

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  lru_list lru_;
  // Looked up by a std::string_view of the id's bytes, without building a key (issue 17: one
  // allocation per EXECUTE, an id being longer than std::string's inline buffer).
  struct id_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  using id_index = std::unordered_map<std::string, lru_list::iterator, id_hash, std::equal_to<>>;
  id_index by_primary_;
  id_index by_secondary_;
  std::uint64_t evictions_ = 0;
  std::atomic<std::uint64_t> generation_{0};
};

// One client session's last few EXECUTEd entries, found without the map's lock (issue 17: the
// map's mutex was taken on every EXECUTE, by every worker). A session runs on one thread, so
// this needs no lock of its own; it is emptied when the map's generation moves. A hit does not
// mark the entry recently used in the map: a statement a client keeps executing may be evicted
// there, and a new client then re-prepares it (the map's UNPREPARED answer), as before.
class prepared_lookup_cache {
 public:
  prepared_id_map::entry_ptr find(prepared_id_map& map, protocol::bytes_view primary_id);

 private:
  static constexpr std::size_t slots = 8;
  std::array<prepared_id_map::entry_ptr, slots> entries_;
  std::size_t next_ = 0;
  std::uint64_t generation_ = 0;
};

}  // namespace tandem::proxy
