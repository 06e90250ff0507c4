// The tandem executable: `backfill`, `schema`, `validate` and `cutover` go to the backfill library, every other
// subcommand to the proxy's command line (proxy/cli.cpp), which also prints the usage.
#include "backfill/admin_job.hpp"
#include "backfill/cutover.hpp"
#include "backfill/job.hpp"
#include "backfill/validate_job.hpp"
#include "proxy/cli.hpp"

#include <string>
#include <string_view>
#include <vector>

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (!args.empty()) {
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "backfill") return tandem::backfill::backfill_command(rest);
    if (args[0] == "schema") return tandem::backfill::schema_command(rest);
    if (args[0] == "validate") return tandem::backfill::validate_command(rest);
    if (args[0] == "cutover") return tandem::backfill::cutover_command(rest);
  }
  tandem::backfill::register_admin_backfill();  // POST /api/v1/backfill in `tandem proxy`
  return tandem::proxy::run_cli(args);
}
