// The tandem executable: `backfill` and `schema` go to the backfill library, every other
// subcommand to the proxy's command line (proxy/cli.cpp), which also prints the usage.
#include "backfill/admin_job.hpp"
#include "backfill/job.hpp"
#include "proxy/cli.hpp"

#include <string>
#include <string_view>
#include <vector>

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "backfill" || args[0] == "schema")) {
    std::vector<std::string> rest(args.begin() + 1, args.end());
    return args[0] == "backfill" ? tandem::backfill::backfill_command(rest)
                                 : tandem::backfill::schema_command(rest);
  }
  tandem::backfill::register_admin_backfill();  // POST /api/v1/backfill in `tandem proxy`
  return tandem::proxy::run_cli(args);
}
