// What `tandem backfill|schema|validate|cutover --help` prints, and what an unknown option
// prints after naming itself: each subcommand's options in one place, so the help and the
// error cannot drift apart. tests/integration/test_cli_help.py passes every option listed
// here to its subcommand and checks that it is taken (the arguments are read before the
// configuration file, so a missing file shows that they were).
#pragma once

#include <string_view>

namespace tandem::backfill {

inline constexpr std::string_view backfill_usage =
    "usage: tandem backfill [--config FILE] [--worker-id ID] [--table ks.t]... [--keyspace ks]...\n"
    "                       [--no-progress-bar]\n"
    "\n"
    "Copies the source's existing rows to the target token range by token range, each cell with\n"
    "its writetime and TTL. Resumable: finished units are kept in backfill.job's checkpoint\n"
    "table, so a second run (or another worker) continues where the first stopped.\n"
    "\n"
    "options:\n"
    "  --config FILE      the configuration file (default: conf/tandem.yaml's values; every key\n"
    "                     can be overridden by TANDEM_<SECTION>_<KEY>)\n"
    "  --worker-id ID     this worker's name in the shared job (default: host name and pid);\n"
    "                     workers with different ids share the units of one job\n"
    "  --table ks.t       copy this table (repeatable; default: backfill.tables)\n"
    "  --keyspace ks      copy every table of this keyspace (repeatable; default:\n"
    "                     backfill.keyspaces)\n"
    "  --no-progress-bar  no progress bar on stderr (the default when stderr is not a terminal)\n"
    "  -h, --help         print this text\n"
    "\n"
    "exit status: 0 every unit copied, 1 some unit failed, 2 bad arguments or configuration\n";

inline constexpr std::string_view schema_usage =
    "usage: tandem schema diff|apply [--config FILE]\n"
    "\n"
    "Compares the source's keyspaces, user types, tables and indexes with the target's.\n"
    "\n"
    "  diff               print what the target lacks or has differently\n"
    "  apply              create on the target what it lacks (never drops or alters)\n"
    "\n"
    "options:\n"
    "  --config FILE      the configuration file (default: conf/tandem.yaml's values)\n"
    "  -h, --help         print this text\n";

inline constexpr std::string_view validate_usage =
    "usage: tandem validate [--config FILE] [--table ks.t]... [--keyspace ks]... [--sample F]\n"
    "                       [--seed N] [--repair] [--report FILE] [--worker-id ID] [--new-round]\n"
    "                       [--no-progress-bar]\n"
    "\n"
    "Compares every cell's value, writetime and TTL on both clusters, token range by token\n"
    "range, and writes a report of every difference.\n"
    "\n"
    "options:\n"
    "  --config FILE      the configuration file (default: conf/tandem.yaml's values)\n"
    "  --table ks.t       validate this table (repeatable; default: backfill.tables)\n"
    "  --keyspace ks      validate every table of this keyspace (repeatable)\n"
    "  --sample F         validate only this share of each table's units, in (0, 1]\n"
    "  --seed N           which units a sample takes (default: from the clock)\n"
    "  --repair           write the source's cells to the target, with the source's writetimes\n"
    "  --report FILE      where the report goes (default: validate.report_dir)\n"
    "  --worker-id ID     this worker's name when several share one round\n"
    "  --new-round        start a new round instead of resuming an unfinished one\n"
    "  --no-progress-bar  no progress bar on stderr\n"
    "  -h, --help         print this text\n"
    "\n"
    "exit status: 0 no differences, 1 differences remain, 2 bad arguments or configuration,\n"
    "3 some unit could not be read\n";

inline constexpr std::string_view cutover_usage =
    "usage: tandem cutover check [--config FILE] [--json]\n"
    "\n"
    "Says whether reads may be flipped to the target: every table backfilled and validated\n"
    "clean, no target write failed since, the journal empty; and what is missing otherwise.\n"
    "\n"
    "options:\n"
    "  --config FILE      the configuration file (default: conf/tandem.yaml's values)\n"
    "  --json             print the verdict and its facts as JSON\n"
    "  -h, --help         print this text\n"
    "\n"
    "exit status: 0 READY, 1 NOT READY, 2 bad arguments or configuration\n";

// True when the arguments ask for the usage (-h or --help anywhere). Every subcommand's,
// the proxy's own (proxy/cli.cpp, proxy/status_command.cpp) included.
template <class Args>
bool asks_for_help(const Args& args) {
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") return true;
  }
  return false;
}

}  // namespace tandem::backfill
