#!/usr/bin/env python3
"""Issue 16, done-means 3: the backfill's throughput at fixed concurrencies (1, 2, 4 … 256,
`backfill.adaptive_concurrency: false`) against where the adaptive limit settles, in one run on
the same rows. Each run copies one fixture table into an emptied target table; prints one line
per run (rows/s, write requests/s, CPU seconds of the backfill per 100k rows, retries,
Overloaded answers) and, last, the adaptive run's rows/s as a share of the best fixed one.
Against `tools/clusters up --target-rate-limit N` it shows the pacer holding the limit.

Needs the clusters up and the fixture loaded (tools/backfill_fixture.py; --load loads it).
Usage: tools/bench/backfill_concurrency.py [--table users] [--max 256] [--load --scale 1]
                                           [--binary build/tandem]"""
import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from backfill_throughput import ROOT, backfill, cql, run  # noqa: E402


def one(table, binary, env, label):
    cql("127.0.0.3", f"TRUNCATE tandem_bf.{table}")
    summary = {}
    rows, mb, secs = backfill([table], f"curve_{label.replace(' ', '')}_{int(time.time() * 1000)}", env=env,
                              binary=binary, summary=summary)
    line = summary["line"]
    req = float(re.search(r"([\d.]+) write requests/s", line).group(1))
    retries = int(re.search(r"(\d+) retries after push-back", line).group(1))
    overloaded = re.search(r"\((\d+) Overloaded\)", line)
    ended = re.search(r"adaptive concurrency ended at (\d+)", line)
    print(f"{label:>10}: {rows / secs:9,.0f} rows/s {req:8,.0f} requests/s {mb / secs:6.2f} MB/s "
          f"cpu {summary['cpu'] / rows * 1e5:5.2f} s/100k rows, retries {retries}, Overloaded "
          f"{overloaded.group(1) if overloaded else '?'}, limit at end "
          f"{ended.group(1) if ended else '?'}", flush=True)
    return rows / secs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--table", default="users")
    ap.add_argument("--max", type=int, default=256)
    ap.add_argument("--load", action="store_true", help="load the fixture first")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--binary", default=str(ROOT / "build" / "tandem"))
    a = ap.parse_args()
    if a.load:
        subprocess.run([sys.executable, str(ROOT / "tools" / "backfill_fixture.py"), "--scale",
                        str(a.scale)], check=True)
        cql("127.0.0.3", "DROP KEYSPACE IF EXISTS tandem_bf")
        run([a.binary, "schema", "apply"], env={"TANDEM_BACKFILL_KEYSPACES": "tandem_bf"})
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
