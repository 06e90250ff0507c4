// Loading order: defaults, then the YAML file, then TANDEM_* variables, then the rules that span
// keys (proxy/config_rules.cpp). Every key is described once in a table (name -> parser),
// composed here from the sections' own key lists, that the file walker, the environment pass
// and config_keys() share, so a key cannot be readable one way and not another.
#include "proxy/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

extern char** environ;

namespace tandem::proxy {
namespace {

using namespace client;
using origin_map = std::map<std::string, std::string>;
using key = key_spec<config>;

// In the order of conf/tandem.yaml.
key_list<config> build_keys() {
  key_list<config> k;
  add_section(k, "proxy", [](config& c) -> auto& { return c.proxy; }, proxy_keys());
  add_section(k, "source", [](config& c) -> auto& { return c.source; }, cluster_keys());
  add_section(k, "target", [](config& c) -> auto& { return c.target; }, target_keys());
  add_section(k, "routing", [](config& c) -> auto& { return c.routing; }, routing_keys());
  add_section(k, "limits", [](config& c) -> auto& { return c.limits; }, limits_keys());
  add_section(k, "journal", [](config& c) -> auto& { return c.journal; }, journal_keys());
  add_section(k, "admin", [](config& c) -> auto& { return c.admin; }, admin_keys());
  add_section(k, "logging", [](config& c) -> auto& { return c.logging; }, logging_keys());
  add_section(k, "backfill", [](config& c) -> auto& { return c.backfill; }, backfill::backfill_keys());
  add_section(k, "validate", [](config& c) -> auto& { return c.validate; }, backfill::validate_keys());
  add_section(k, "cutover", [](config& c) -> auto& { return c.cutover; }, backfill::cutover_keys());
  return k;
}

const key_list<config>& key_table() {
  static const key_list<config> keys = build_keys();
  return keys;
}

const key* find_key(std::string_view name) {
  const auto& keys = key_table();
  const auto it =
      std::find_if(keys.begin(), keys.end(), [&](const auto& k) { return k.name == name; });
  return it == keys.end() ? nullptr : &*it;
}

bool is_section(std::string_view name) {
  const std::string prefix = std::string(name) + ".";
  return std::any_of(key_table().begin(), key_table().end(),
                     [&](const auto& k) { return k.name.starts_with(prefix); });
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// " (did you mean source.contact_points?)" for a near miss among `candidates`, else "".
std::string suggestion(std::string_view name, const std::vector<std::string>& candidates) {
  const std::string* best = nullptr;
  std::size_t best_distance = 4;  // more than 3 edits away is not a typo
  for (const auto& c : candidates) {
    if (const auto d = edit_distance(name, c); d < best_distance) {
      best = &c;
      best_distance = d;
    }
  }
  return best == nullptr ? "" : " (did you mean " + *best + "?)";
}

std::vector<std::string> names_and_sections() {
  std::set<std::string> out;
  for (const auto& k : key_table()) {
    for (auto dot = k.name.find('.'); dot != std::string::npos; dot = k.name.find('.', dot + 1)) {
      out.insert(k.name.substr(0, dot));
    }
    out.insert(k.name);
  }
  return {out.begin(), out.end()};
}

// ---- loading ----

struct load_context {
  config c;
  std::string path;
  origin_map origins;  // key -> where its value came from, for the validation messages
};

void apply_key(load_context& ctx, const key& spec, const raw_value& v,
               const std::string& origin) {
  try {
    spec.apply(ctx.c, v);
  } catch (const value_error& e) {
    throw config_error(spec.name, "config: " + spec.name + " = " + v.shown() + " (" + origin +
                                      "): expected " + e.expected);
  }
  ctx.origins[spec.name] = origin;
}

std::string where(const load_context& ctx, const YAML::Mark& m) {
  return "in " + ctx.path + (m.is_null() ? "" : " line " + std::to_string(m.line + 1));
}

raw_value yaml_value(const YAML::Node& node, const std::string& key, const std::string& origin) {
  raw_value v;
  v.is_null = node.IsNull();
  if (node.IsScalar()) {
    v.items.push_back(node.Scalar());
  } else if (node.IsSequence()) {
    v.is_list = true;
    for (const auto& item : node) {
      if (!item.IsScalar()) {
        throw config_error(key, "config: " + key + " (" + origin + "): expected a list of values");
      }
      v.items.push_back(item.Scalar());
    }
  } else if (node.IsMap()) {
    throw config_error(key,
                       "config: " + key + " (" + origin + "): expected a value, found a mapping");
  }
  return v;
}

void walk_map(load_context& ctx, const YAML::Node& node, const std::string& prefix) {
  std::set<std::string> seen;
  for (const auto& entry : node) {
    const std::string name = (prefix.empty() ? "" : prefix + ".") + entry.first.as<std::string>("");
    const std::string origin = where(ctx, entry.first.Mark());
    if (!seen.insert(name).second) {
      throw config_error(name, "config: " + name + " (" + origin + ") is set twice");
    }
    if (const key* spec = find_key(name)) {
      apply_key(ctx, *spec, yaml_value(entry.second, name, origin), origin);
    } else if (is_section(name)) {
      if (!entry.second.IsMap() && !entry.second.IsNull()) {
        throw config_error(name,
                           "config: " + name + " (" + origin + "): expected a section of keys");
      }
      walk_map(ctx, entry.second, name);
    } else {
      throw config_error(name, "config: unknown key " + name + " (" + origin + ")" +
                                   suggestion(name, names_and_sections()));
    }
  }
}

void apply_file(load_context& ctx) {
  if (ctx.path.empty()) {
    return;  // no file: the defaults, then the environment
  }
  std::ifstream in(ctx.path);
  if (!readable_file(ctx.path)) {
    throw config_error("", "config: cannot read the configuration file " + ctx.path +
                               " (missing or not readable)");
  }
  std::stringstream text;
  text << in.rdbuf();
  YAML::Node root;
  try {
    root = YAML::Load(text.str());
  } catch (const YAML::Exception& e) {
    throw config_error(
        "", "config: " + ctx.path + " is not valid YAML" +
                (e.mark.is_null() ? ""
                                  : " at line " + std::to_string(e.mark.line + 1) + " column " +
                                        std::to_string(e.mark.column + 1)) +
                ": " + e.msg);
  }
  if (!root.IsMap() && !root.IsNull()) {
    throw config_error(
        "", "config: " + ctx.path + " must hold a mapping of sections (proxy, source, ...)");
  }
  walk_map(ctx, root, "");
}

void apply_env(load_context& ctx, const std::map<std::string, std::string>& env) {
  std::vector<std::string> known;
  std::set<std::string> section_prefixes;
  for (const auto& spec : key_table()) {
    known.push_back(env_var_name(spec.name));
    section_prefixes.insert(env_var_name(spec.name.substr(0, spec.name.find('.'))) + "_");
    if (const auto it = env.find(known.back()); it != env.end()) {
      apply_key(ctx, spec, raw_value{{it->second}}, "from environment variable " + it->first);
    }
  }
  // A misspelt override would otherwise be ignored in silence. Only names under a section are
  // checked: other TANDEM_* variables may belong to scripts around the proxy.
  for (const auto& [name, value] : env) {
    const bool in_section = std::any_of(section_prefixes.begin(), section_prefixes.end(),
                                        [&](const auto& p) { return name.starts_with(p); });
    if (in_section && std::find(known.begin(), known.end(), name) == known.end()) {
      throw config_error(name,
                         "config: unknown environment variable " + name + suggestion(name, known));
    }
  }
}

// proxy.instances defaults to where the proxy listens; a wildcard cannot be advertised.
void resolve_instances(config& c) {
  if (!c.proxy.instances.empty()) {
    return;
  }
  if (c.proxy.listen_address.is_unspecified()) {
    throw config_error(
        "proxy.instances",
        "config: proxy.instances is empty while proxy.listen_address is the wildcard " +
            c.proxy.listen_address.to_string() +
            ": list the address:port at which clients reach this proxy");
  }
  c.proxy.instances.push_back({c.proxy.listen_address, c.proxy.listen_port});
}

}  // namespace

config default_config() {
  config c;
  resolve_instances(c);
  return c;
}

config load_config(const std::string& path, const std::map<std::string, std::string>& env) {
  load_context ctx{config{}, path, {}};
  apply_file(ctx);
  apply_env(ctx, env);
  resolve_instances(ctx.c);
  check_rules(ctx.c, ctx.origins, "default");
  return std::move(ctx.c);
}

config load_config_from_process(const std::string& path) {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    if (const auto eq = entry.find('=');
        entry.starts_with("TANDEM_") && eq != std::string_view::npos) {
      env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
    }
  }
  return load_config(path, env);
}

const std::vector<std::string>& config_keys() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& k : key_table()) {
      out.push_back(k.name);
    }
    return out;
  }();
  return names;
}

}  // namespace tandem::proxy
