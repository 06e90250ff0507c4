// The tandem executable: `backfill`, `schema`, `validate` and `cutover` go to the backfill library
// (through backfill/control.hpp, with the proxy's configuration loader, which knows every
// section), every other subcommand to the proxy's command line (proxy/cli.cpp), which also
// prints the usage.
#include "backfill/control.hpp"
#include "proxy/cli.hpp"
#include "proxy/config.hpp"

#include <string>
#include <string_view>
#include <vector>

int main(int argc, char** argv) {
  namespace backfill = tandem::backfill;
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (!args.empty()) {
    std::vector<std::string> rest(args.begin() + 1, args.end());
    const backfill::settings_loader load = [](const std::string& path) -> backfill::migration_settings {
      auto cfg = tandem::proxy::load_config_from_process(path);
      tandem::proxy::apply_logging(cfg.logging);
      return cfg;
    };
    if (args[0] == "backfill") return backfill::backfill_command(rest, load);
    if (args[0] == "schema") return backfill::schema_command(rest, load);
    if (args[0] == "validate") return backfill::validate_command(rest, load);
    if (args[0] == "cutover") return backfill::cutover_command(rest, load);
  }
  return tandem::proxy::run_cli(args);
}
