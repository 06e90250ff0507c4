#include "backfill/settings.hpp"

namespace tandem::backfill {

using namespace client;
using std::chrono::milliseconds;

key_list<backfill_settings> backfill_keys() {
  key_list<backfill_settings> k;
  const auto add = [&](std::string name, std::function<void(backfill_settings&, const raw_value&)> f) {
    k.push_back({std::move(name), std::move(f)});
  };
  add("keyspaces", [](auto& b, const raw_value& v) {
    b.keyspaces = v.is_null ? std::vector<std::string>{} : as_list(v);
  });
  add("tables", [](auto& b, const raw_value& v) {
    b.tables = v.is_null ? std::vector<std::string>{} : as_table_names(v);
  });
  add("job", [](auto& b, const raw_value& v) { b.job = as_cql_name(v); });
  add("unit_size", [](auto& b, const raw_value& v) { b.unit_size = as_size64(v, 1u << 20, 1ull << 40); });
  add("page_size", [](auto& b, const raw_value& v) {
    b.page_size = static_cast<std::uint32_t>(as_uint(v, 10, 100'000));
  });
  add("read_consistency", [](auto& b, const raw_value& v) { b.read_consistency = as_consistency(v); });
  add("write_consistency", [](auto& b, const raw_value& v) { b.write_consistency = as_consistency(v); });
  add("max_concurrency", [](auto& b, const raw_value& v) {
    b.max_concurrency = static_cast<std::uint32_t>(as_uint(v, 1, 1024));
  });
  add("adaptive_concurrency", [](auto& b, const raw_value& v) { b.adaptive_concurrency = as_bool(v); });
  add("max_partition_concurrency", [](auto& b, const raw_value& v) {
    b.max_partition_concurrency = static_cast<std::uint32_t>(as_uint(v, 1, 1024));
  });
  add("batch_statements", [](auto& b, const raw_value& v) {
    b.batch_statements = static_cast<std::uint32_t>(as_uint(v, 1, 1000));
  });
  add("max_rows_per_second", [](auto& b, const raw_value& v) {
    b.max_rows_per_second = as_uint(v, 0, 100'000'000);
  });
  add("max_bytes_per_second", [](auto& b, const raw_value& v) {
    b.max_bytes_per_second = as_size64(v, 0, 1ull << 40);
  });
  add("lease", [](auto& b, const raw_value& v) { b.lease = as_duration(v, milliseconds(1000), one_hour); });
  add("workers", [](auto& b, const raw_value& v) {
    b.workers = static_cast<std::uint32_t>(as_uint(v, 1, 256));
  });
  return k;
}

key_list<validate_settings> validate_keys() {
  key_list<validate_settings> k;
  const auto add = [&](std::string name, std::function<void(validate_settings&, const raw_value&)> f) {
    k.push_back({std::move(name), std::move(f)});
  };
  add("job", [](auto& s, const raw_value& v) { s.job = as_cql_name(v); });
  add("workers", [](auto& s, const raw_value& v) {
    s.workers = static_cast<std::uint32_t>(as_uint(v, 1, 256));
  });
  add("page_size", [](auto& s, const raw_value& v) {
    s.page_size = static_cast<std::uint32_t>(as_uint(v, 10, 100'000));
  });
  add("consistency", [](auto& s, const raw_value& v) { s.consistency = as_consistency(v); });
  add("min_units", [](auto& s, const raw_value& v) {
    s.min_units = static_cast<std::uint32_t>(as_uint(v, 1, 1'000'000));
  });
  add("recheck_delay", [](auto& s, const raw_value& v) {
    s.recheck_delay = as_duration(v, milliseconds(0), one_hour);
  });
  add("ttl_slack", [](auto& s, const raw_value& v) {
    s.ttl_slack = std::chrono::duration_cast<std::chrono::seconds>(as_duration(v, milliseconds(0), one_hour));
  });
  add("report_dir", [](auto& s, const raw_value& v) { s.report_dir = as_string(v); });
  return k;
}

key_list<cutover_settings> cutover_keys() {
  return {{"max_validation_age", [](cutover_settings& s, const raw_value& v) {
             s.max_validation_age =
                 as_duration(v, milliseconds(1000), milliseconds(365ll * 24 * 3600 * 1000));
           }}};
}

}  // namespace tandem::backfill
