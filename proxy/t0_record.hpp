// T0 is the timestamp of the first write the proxy mirrored (DESIGN.md "One write timestamp"):
// the backfill writes cells it cannot date at T0-1, so every mirrored write wins over them.
// It is kept on the target in <state_keyspace>.migration_state, row name 't0'. Several proxy
// instances, and restarts, each propose their own first write: the stored value only ever
// goes down (a conditional UPDATE ... IF value > proposal), so T0 is the earliest of them.
#pragma once

#include "proxy/proxy_context.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tandem::proxy {

namespace asio = boost::asio;

// The CQL the record uses; pure so the statements are unit-tested.
std::string state_keyspace_ddl(const client::target_settings& t);
std::string migration_state_ddl(const client::target_settings& t);
std::string insert_t0_cql(const client::target_settings& t, std::int64_t proposal, const std::string& by);
std::string lower_t0_cql(const client::target_settings& t, std::int64_t proposal, const std::string& by);

// What a conditional statement's answer says: applied, or not with the value found.
struct conditional_outcome {
  bool applied = false;
  std::optional<std::int64_t> existing;  // the row's `value`, when not applied
};
std::optional<conditional_outcome> read_conditional(const protocol::rows_result& rows);

// Waits for the first mirrored write (ctx->t0 set), then records it on the target, retrying
// every few seconds until the target takes it, and records again whenever a mirrored write
// with an earlier timestamp comes. Sets ctx->t0_recorded to the stored T0. Runs until the
// proxy stops.
asio::awaitable<void> record_t0(std::shared_ptr<proxy_context> ctx, std::string recorded_by);

// Runs `cqls` in order on a connection of the proxy's own to the first of the target's contact
// points that opens (closed after, with `why`): true when every statement was taken. What the
// proxy records on the target for the cutover gate goes through it.
asio::awaitable<bool> run_on_target(const proxy_context& ctx, const std::vector<std::string>& cqls,
                                    const char* why);

// The cutover gate (issue 6) must know whether a mirrored write failed on the target after the
// last validation began: the time of the latest failure (ctx->last_target_write_failure_us) is
// kept in the same table, row 'last_target_write_failure', retried every 2 s until the target
// takes it. Runs until the proxy stops.
std::string record_failure_cql(const client::target_settings& t, std::int64_t at_us, const std::string& by);
asio::awaitable<void> record_target_failures(std::shared_ptr<proxy_context> ctx,
                                             std::string recorded_by);

}  // namespace tandem::proxy
