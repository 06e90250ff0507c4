#include "proxy/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace tandem::proxy {

void latency_histogram::observe(std::chrono::nanoseconds d) noexcept {
  const double seconds = std::chrono::duration<double>(d).count();
  const auto it = std::lower_bound(latency_bounds.begin(), latency_bounds.end(), seconds);
  const auto index = static_cast<std::size_t>(it - latency_bounds.begin());
  auto& b = blocks_.local();
  bump(b.buckets[index]);
  bump(b.sum_ns, static_cast<std::uint64_t>(std::max<std::int64_t>(0, d.count())));
}

latency_histogram::snapshot latency_histogram::read() const noexcept {
  snapshot s;
  std::array<std::uint64_t, latency_bounds.size() + 1> buckets{};
  std::uint64_t sum_ns = 0;
  blocks_.for_each([&](const block& b) {
    for (std::size_t i = 0; i < buckets.size(); ++i) {
      buckets[i] += b.buckets[i].value.load(std::memory_order_relaxed);
    }
    sum_ns += b.sum_ns.value.load(std::memory_order_relaxed);
  });
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    running += buckets[i];
    s.cumulative[i] = running;
  }
  s.count = running;
  s.sum_seconds = static_cast<double>(sum_ns) / 1e9;
  return s;
}

cluster_request_counts::table cluster_request_counts::read() const {
  table t{};
  blocks_.for_each([&](const block& b) {
    for (std::size_t c = 0; c < t.size(); ++c) {
      for (std::size_t op = 0; op < opcodes; ++op) {
        t[c][op] += b.counts[c][op].value.load(std::memory_order_relaxed);
      }
    }
  });
  return t;
}

double p99_upper_ms(const latency_histogram::snapshot& s) {
  if (s.count == 0) {
    return 0;
  }
  // The smallest bucket holding at least 99 % of the observations (nearest-rank).
  const auto rank = static_cast<std::uint64_t>(std::ceil(static_cast<double>(s.count) * 0.99));
  for (std::size_t i = 0; i < latency_bounds.size(); ++i) {
    if (s.cumulative[i] >= rank) {
      return latency_bounds[i] * 1000.0;
    }
  }
  return latency_bounds.back() * 1000.0;
}

latency_histogram::snapshot since(const latency_histogram::snapshot& s,
                                  const latency_histogram::snapshot& before) {
  latency_histogram::snapshot d;
  if (s.count < before.count) {
    return s;  // not the same histogram: take it whole
  }
  for (std::size_t i = 0; i < d.cumulative.size(); ++i) {
    d.cumulative[i] = s.cumulative[i] >= before.cumulative[i] ? s.cumulative[i] - before.cumulative[i] : 0;
  }
  d.count = s.count - before.count;
  d.sum_seconds = s.sum_seconds - before.sum_seconds;
  return d;
}

void error_counters::count_code(cluster c, std::int32_t code) noexcept {
  for (std::size_t i = 0; i < error_code_names.size(); ++i) {
    if (error_code_names[i].first == code) {
      counts_[static_cast<std::size_t>(c)][i].fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  count_local(c, "other_code");
}

void error_counters::count_local(cluster c, std::string_view name) noexcept {
  for (std::size_t i = 0; i < local_failure_names.size(); ++i) {
    if (local_failure_names[i] == name) {
      counts_[static_cast<std::size_t>(c)][error_code_names.size() + i].fetch_add(
          1, std::memory_order_relaxed);
      return;
    }
  }
}

std::vector<error_counters::entry> error_counters::read() const {
  std::vector<entry> out;
  for (cluster c : {cluster::source, cluster::target}) {
    for (std::size_t i = 0; i < kinds; ++i) {
      const auto n = counts_[static_cast<std::size_t>(c)][i].load(std::memory_order_relaxed);
      if (n == 0) {
        continue;
      }
      const std::string_view name = i < error_code_names.size()
                                        ? error_code_names[i].second
                                        : local_failure_names[i - error_code_names.size()];
      out.push_back({c, name, n});
    }
  }
  return out;
}

std::string prometheus_number(double v) {
  if (std::isinf(v)) {
    return v > 0 ? "+Inf" : "-Inf";
  }
  if (std::isnan(v)) {
    return "NaN";
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc{} ? std::string(buf, end) : std::string("NaN");
}

void prometheus_writer::family(std::string_view name, std::string_view type,
                               std::string_view help) {
  out_.append("# HELP ").append(name).append(" ");
  for (char ch : help) {  // HELP escapes only backslash and newline
    if (ch == '\\') {
      out_ += "\\\\";
    } else if (ch == '\n') {
      out_ += "\\n";
    } else {
      out_ += ch;
    }
  }
  out_.append("\n# TYPE ").append(name).append(" ").append(type).append("\n");
}

void prometheus_writer::write_labels(const labels& l, std::string_view extra_name,
                                     std::string_view extra_value) {
  if (l.empty() && extra_name.empty()) {
    return;
  }
  out_ += '{';
  bool first = true;
  const auto one = [&](std::string_view name, std::string_view value) {
    if (!first) {
      out_ += ',';
    }
    first = false;
    out_.append(name).append("=\"");
    for (char ch : value) {
      if (ch == '\\') {
        out_ += "\\\\";
      } else if (ch == '"') {
        out_ += "\\\"";
      } else if (ch == '\n') {
        out_ += "\\n";
      } else {
        out_ += ch;
      }
    }
    out_ += '"';
  };
  for (const auto& [name, value] : l) {
    one(name, value);
  }
  if (!extra_name.empty()) {
    one(extra_name, extra_value);
  }
  out_ += '}';
}

void prometheus_writer::sample(std::string_view name, const labels& l, double value) {
  out_.append(name);
  write_labels(l);
  out_.append(" ").append(prometheus_number(value)).append("\n");
}

void prometheus_writer::sample(std::string_view name, const labels& l, std::uint64_t value) {
  out_.append(name);
  write_labels(l);
  out_.append(" ").append(std::to_string(value)).append("\n");
}

void prometheus_writer::histogram(std::string_view name, const labels& l,
                                  const latency_histogram::snapshot& s) {
  const std::string bucket = std::string(name) + "_bucket";
  for (std::size_t i = 0; i < latency_bounds.size(); ++i) {
    out_.append(bucket);
    write_labels(l, "le", prometheus_number(latency_bounds[i]));
    out_.append(" ").append(std::to_string(s.cumulative[i])).append("\n");
  }
  out_.append(bucket);
  write_labels(l, "le", "+Inf");
  out_.append(" ").append(std::to_string(s.count)).append("\n");
  sample(std::string(name) + "_sum", l, s.sum_seconds);
  sample(std::string(name) + "_count", l, s.count);
}

}  // namespace tandem::proxy
