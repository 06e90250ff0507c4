#!/usr/bin/env python3
"""Issue 5, done-means 6: how fast the backfill copies, against what people use today.

Loads the fixture (tools/backfill_fixture.py) directly into the source, then on an emptied
target:
  1. `build/tandem backfill` of the whole fixture (200,000 rows at --scale 1): rows/s, MB/s;
  2. `build/tandem backfill` of the users table alone;
  3. `cqlsh COPY tandem_bf.users TO file` on the source + `COPY FROM file` on the target, the
     same table (note: COPY keeps neither writetimes nor TTLs; the backfill keeps both).
Prints one line per figure. Needs the clusters up (tools/clusters up) and a release build.

Usage: tools/bench/backfill_throughput.py [--scale 1.0]"""
import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def run(cmd, env=None, **kw):
    e = {k: v for k, v in os.environ.items()
         if not k.startswith(("TANDEM_SOURCE_", "TANDEM_TARGET_", "TANDEM_TLS"))}
    e.update(env or {})
    return subprocess.run(cmd, env=e, capture_output=True, text=True, check=True, **kw)


def cql(host, statement):
    run([str(VENV_BIN / "cqlsh"), host, "-e", statement])


def backfill(tables, job, env=None, binary=ROOT / "build" / "tandem", summary=None):
    """Runs one backfill; returns rows, MB, seconds (and fills `summary` with the summary line
    and the CPU seconds the process used, when given)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.monotonic()
    out = run([str(binary), "backfill", "--no-progress-bar"] +
              [a for t in tables for a in ("--table", t if "." in t else f"tandem_bf.{t}")],
              env=dict(env or {}, TANDEM_BACKFILL_JOB=job))
    secs = time.monotonic() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    m = re.search(r"finished: (\d+) rows, ([\d.]+) MB", out.stderr)
    rows, mb = int(m.group(1)), float(m.group(2))
    if summary is not None:
        summary["line"] = out.stderr.strip().splitlines()[-1]
        summary["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return rows, mb, secs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args()
    tables = ["users", "events", "wide", "keyonly", "counts"]
    print(run([sys.executable, str(ROOT / "tools" / "backfill_fixture.py"), "--scale",
               str(a.scale)]).stdout.strip())
    cql("127.0.0.3", "DROP KEYSPACE IF EXISTS tandem_bf")
    run([str(ROOT / "build" / "tandem"), "schema", "apply"], env={"TANDEM_BACKFILL_KEYSPACES": "tandem_bf"})
    stamp = str(int(time.time()))
    rows, mb, secs = backfill(tables, "bench_all_" + stamp)
    print(f"tandem backfill, whole fixture: {rows} rows, {mb:.1f} MB in {secs:.1f}s = "
          f"{rows / secs:,.0f} rows/s, {mb / secs:.2f} MB/s")
    cql("127.0.0.3", "TRUNCATE tandem_bf.users")
    rows, mb, secs = backfill(["users"], "bench_users_" + stamp)
    print(f"tandem backfill, users table: {rows} rows in {secs:.1f}s = {rows / secs:,.0f} rows/s")
    cql("127.0.0.3", "TRUNCATE tandem_bf.users")
    with tempfile.TemporaryDirectory() as d:
        csv = Path(d) / "users.csv"
        began = time.monotonic()
        cql("127.0.0.2", f"COPY tandem_bf.users (k, name, age, score) TO '{csv}'")
        mid = time.monotonic()
        cql("127.0.0.3", f"COPY tandem_bf.users (k, name, age, score) FROM '{csv}'")
        end = time.monotonic()
        n = sum(1 for _ in open(csv))
    print(f"cqlsh COPY TO + COPY FROM, users table: {n} rows in {end - began:.1f}s "
          f"(TO {mid - began:.1f}s, FROM {end - mid:.1f}s) = {n / (end - began):,.0f} rows/s "
          "(without writetimes or TTLs)")


if __name__ == "__main__":
    main()
