#!/usr/bin/env python3
"""Issue 16, done-means 3: the backfill's throughput at fixed concurrencies (1, 2, 4 … 256,
`backfill.adaptive_concurrency: false`) against where the adaptive limit settles, in one run on
the same rows. Each run copies one fixture table into an emptied target table; prints one line
per run (rows/s, write requests/s, CPU seconds of the backfill per 100k rows, retries,
Overloaded answers) and, last, the adaptive run's rows/s as a share of the best fixed one.
Against `tools/clusters up --target-rate-limit N` it shows the pacer holding the limit.

Needs the clusters up and the fixture loaded (tools/backfill_fixture.py; --load loads it).
With --against OLD_BINARY it compares two builds instead, A B A B at the concurrencies of
--fixed (default 1,8,64): rows/s and CPU per 100k rows of each, and the new/old ratios.

Usage: tools/bench/backfill_concurrency.py [--table users] [--max 256] [--load --scale 1]
                                           [--binary build/tandem] [--against OLD --fixed 1,8]"""
import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from backfill_throughput import ROOT, backfill, cql, run  # noqa: E402


def one(table, binary, env, label, want_summary=None):
    cql("127.0.0.3", f"TRUNCATE tandem_bf.{table}")
    summary = {}
    rows, mb, secs = backfill([table], f"curve_{label.replace(' ', '')}_{int(time.time() * 1000)}", env=env,
                              binary=binary, summary=summary)
    line = summary["line"]
    summary["cpu_per_100k"] = summary["cpu"] / rows * 1e5
    req = float(re.search(r"([\d.]+) write requests/s", line).group(1))
    retries = int(re.search(r"(\d+) retries after push-back", line).group(1))
    overloaded = re.search(r"\((\d+) Overloaded\)", line)
    ended = re.search(r"adaptive concurrency ended at (\d+)", line)
    print(f"{label:>10}: {rows / secs:9,.0f} rows/s {req:8,.0f} requests/s {mb / secs:6.2f} MB/s "
          f"cpu {summary['cpu'] / rows * 1e5:5.2f} s/100k rows, retries {retries}, Overloaded "
          f"{overloaded.group(1) if overloaded else '?'}, limit at end "
          f"{ended.group(1) if ended else '?'}", flush=True)
    if want_summary is not None:
        want_summary.update(summary, rows_per_second=rows / secs)
    return rows / secs


def compare(a, concurrencies):
    """A B A B: the old build, then the new, twice at each concurrency."""
    got = {}
    for c in concurrencies:
        env = {"TANDEM_BACKFILL_ADAPTIVE_CONCURRENCY": "false", "TANDEM_BACKFILL_MAX_CONCURRENCY": str(c)}
        for round_ in (1, 2):
            for name, binary in (("old", a.against), ("new", a.binary)):
                s = {}
                one(a.table, binary, env, f"{name} {c}", s)
                got.setdefault((name, c), []).append(s)
    for c in concurrencies:
        def best(name, key, pick):
            return pick(s[key] for s in got[(name, c)])
        rate = best("new", "rows_per_second", max) / best("old", "rows_per_second", max)
        cpu = best("new", "cpu_per_100k", min) / best("old", "cpu_per_100k", min)
        print(f"concurrency {c}: new/old rows/s {rate:.2f}, CPU per row {cpu:.2f} "
              f"(old {best('old', 'cpu_per_100k', min):.2f}, new {best('new', 'cpu_per_100k', min):.2f} "
              f"s/100k rows; best of 2)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--table", default="users")
    ap.add_argument("--max", type=int, default=256)
    ap.add_argument("--load", action="store_true", help="load the fixture first")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--binary", default=str(ROOT / "build" / "tandem"))
    ap.add_argument("--against", help="an older build's tandem: compare the two (A B A B)")
    ap.add_argument("--fixed", default="1,8,64", help="concurrencies of --against")
    a = ap.parse_args()
    if a.load:
        subprocess.run([sys.executable, str(ROOT / "tools" / "backfill_fixture.py"), "--scale",
                        str(a.scale)], check=True)
        cql("127.0.0.3", "DROP KEYSPACE IF EXISTS tandem_bf")
        run([a.binary, "schema", "apply"], env={"TANDEM_BACKFILL_KEYSPACES": "tandem_bf"})
    if a.against:
        compare(a, [int(c) for c in a.fixed.split(",")])
        return
    curve = {}
    c = 1
    while c <= a.max:
        curve[c] = one(a.table, a.binary, {"TANDEM_BACKFILL_ADAPTIVE_CONCURRENCY": "false",
                                           "TANDEM_BACKFILL_MAX_CONCURRENCY": str(c)}, f"fixed {c}")
        c *= 2
    adaptive = one(a.table, a.binary, {"TANDEM_BACKFILL_MAX_CONCURRENCY": str(a.max)}, "adaptive")
    best_c = max(curve, key=curve.get)
    print(f"best fixed concurrency {best_c}: {curve[best_c]:,.0f} rows/s; adaptive "
          f"{adaptive:,.0f} rows/s = {adaptive / curve[best_c]:.2f} of it")


if __name__ == "__main__":
    main()
