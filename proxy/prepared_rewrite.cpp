#include "proxy/prepared_rewrite.hpp"

#include "protocol/cql/lexer.hpp"

#include <algorithm>

namespace tandem::proxy {

using protocol::cql::nondeterministic_function;

const char* value_type(nondeterministic_function f) noexcept {
  switch (f) {
    case nondeterministic_function::now:
    case nondeterministic_function::current_timeuuid:
      return "timeuuid";
    case nondeterministic_function::uuid:
      return "uuid";
    case nondeterministic_function::current_timestamp:
      return "timestamp";
    case nondeterministic_function::current_date:
      return "date";
    case nondeterministic_function::current_time:
      return "time";
  }
  return "blob";
}

std::optional<prepare_rewrite> rewrite_for_prepare(std::string_view text,
                                                   const protocol::cql::statement_info& info) {
  if (info.calls.empty()) {
    return std::nullopt;
  }
  const bool named = !info.named_markers.empty();
  // Markers of the original text before each call: the added marker's final index is that
  // count plus the markers added before it.
  const auto tokens = protocol::cql::tokenize(text);
  prepare_rewrite out;
  std::vector<std::string> replacements;
  std::size_t call = 0;
  std::uint16_t markers_before = 0;
  for (const auto& t : tokens) {
    while (call < info.calls.size() && info.calls[call].offset <= t.offset) {
      added_marker m;
      m.function = info.calls[call].function;
      m.index = static_cast<std::uint16_t>(markers_before + call);
      out.markers.push_back(m);
      ++call;
    }
    // Tokens inside a call (its parentheses) hold no markers: calls take no arguments.
    if (t.kind == protocol::cql::token_kind::positional_marker ||
        t.kind == protocol::cql::token_kind::named_marker) {
      ++markers_before;
    }
  }
  for (; call < info.calls.size(); ++call) {
    out.markers.push_back({info.calls[call].function,
                           static_cast<std::uint16_t>(markers_before + call), {}});
  }
  for (std::size_t i = 0; i < out.markers.size(); ++i) {
    std::string r = std::string("(") + value_type(out.markers[i].function) + ")";
    r += named ? ":tandem_value_" + std::to_string(i + 1) : "?";
    replacements.push_back(std::move(r));
  }
  std::vector<std::string_view> views(replacements.begin(), replacements.end());
  out.text = protocol::cql::replace_calls(text, info.calls, views);
  return out;
}

protocol::result<void> hide_added_markers(protocol::prepared_metadata& metadata,
                                          std::vector<added_marker>& markers,
                                          std::size_t markers_in_text) {
  if (metadata.columns.size() != markers_in_text) {
    return protocol::errc::bad_value;
  }
  for (auto& m : markers) {
    if (m.index >= metadata.columns.size()) {
      return protocol::errc::bad_value;
    }
    m.name = metadata.columns[m.index].name;
  }
  const auto is_added = [&](std::size_t i) {
    return std::any_of(markers.begin(), markers.end(),
                       [i](const added_marker& m) { return m.index == i; });
  };
  std::vector<protocol::column_spec> kept;
  std::vector<std::uint16_t> new_index(metadata.columns.size(), 0);
  for (std::size_t i = 0; i < metadata.columns.size(); ++i) {
    new_index[i] = static_cast<std::uint16_t>(kept.size());
    if (!is_added(i)) {
      kept.push_back(std::move(metadata.columns[i]));
    }
  }
  metadata.columns = std::move(kept);
  std::vector<std::uint16_t> pk;
  for (auto i : metadata.pk_indexes) {
    if (i >= new_index.size() || is_added(i)) {
      pk.clear();
      metadata.pk_indexes = std::move(pk);
      return {};
    }
    pk.push_back(new_index[i]);
  }
  metadata.pk_indexes = std::move(pk);
  return {};
}

protocol::result<void> insert_added_values(std::vector<protocol::value>& values,
                                           std::vector<std::string>* names,
                                           const std::vector<added_marker>& markers,
                                           const std::vector<literal_inputs>& inputs) {
  if (inputs.size() < markers.size()) {
    return protocol::errc::bad_value;
  }
  for (std::size_t i = 0; i < markers.size(); ++i) {
    const auto& m = markers[i];
    auto v = protocol::value::of(value_for(m.function, inputs[i]));
    if (names != nullptr) {
      names->push_back(m.name);
      values.push_back(std::move(v));
      continue;
    }
    // Markers are in index order, so each earlier insertion is already in place.
    if (m.index > values.size()) {
      return protocol::errc::bad_value;
    }
    values.insert(values.begin() + m.index, std::move(v));
  }
  return {};
}

}  // namespace tandem::proxy
