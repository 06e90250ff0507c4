#!/usr/bin/env python3
"""Issue 16, done-means 1: the backfill against the target's true write ceiling, in one run.

For each table, on the same rows:
  ceiling  tandem-write-ceiling: the rows read once into memory, then written to the emptied
           target table exactly as the backfill writes them, at each concurrency of --concurrency
           and as single statements (EXECUTE) or per-partition batches of 16; the best run;
  backfill `tandem backfill` of the table into the emptied target table (default settings:
           the adaptive concurrency), rows/s, MB/s and its CPU seconds per 100k rows;
  COPY     cqlsh COPY TO on the source + COPY FROM on the target (--copy; keeps neither
           writetimes nor TTLs).
Tables: `simple` (tandem_ceiling.rows: 200,000 rows in 2,000 partitions of 100, an old USING
TIMESTAMP, a tenth with a TTL: the shape of the issue's comparison) and the project's fixture
(tools/backfill_fixture.py: collections, statics, the 50,000-row partition; its counter table
has no write-only ceiling, counters being written by delta after a read, and is left out).
The fixture's ceiling for all its rows is the sum of each table's rows over its best rate.

Needs the clusters up (tools/clusters up) and a release build (tools/build).
Usage: tools/bench/backfill_ceiling.py [--tables simple,fixture] [--skip-load] [--copy]
                                       [--concurrency 16,32,64,128,256]"""
import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from backfill_throughput import ROOT, VENV_BIN, backfill, cql, run  # noqa: E402

SIMPLE_KS = "tandem_ceiling"
FIXTURE_TABLES = ["tandem_bf.users", "tandem_bf.events", "tandem_bf.wide", "tandem_bf.keyonly"]
CEILING = ROOT / "build" / "tools" / "bench" / "tandem-write-ceiling"
TANDEM = ROOT / "build" / "tandem"


def load_simple():
    from cassandra.cluster import Cluster
    from cassandra.concurrent import execute_concurrent_with_args
    cluster = Cluster(["127.0.0.2"])
    session = cluster.connect()
    session.execute(f"DROP KEYSPACE IF EXISTS {SIMPLE_KS}")
    session.execute(f"CREATE KEYSPACE {SIMPLE_KS} WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute(f"CREATE TABLE {SIMPLE_KS}.rows (p int, c int, v text, n bigint, "
                    "PRIMARY KEY (p, c))")
    plain = session.prepare(f"INSERT INTO {SIMPLE_KS}.rows (p, c, v, n) VALUES (?, ?, ?, ?) "
                            "USING TIMESTAMP ?")
    ttl = session.prepare(f"INSERT INTO {SIMPLE_KS}.rows (p, c, v, n) VALUES (?, ?, ?, ?) "
                          "USING TIMESTAMP ? AND TTL 864000")
    began = time.monotonic()
    old = 1_600_000_000_000_000  # September 2020, in µs
    rows = [(p, c, f"value {p}/{c} " + "x" * 40, p * 1000 + c, old + p * 100 + c)
            for p in range(2000) for c in range(100)]
    execute_concurrent_with_args(session, plain, [r for i, r in enumerate(rows) if i % 10],
                                 concurrency=128, raise_on_first_error=True)
    execute_concurrent_with_args(session, ttl, [r for i, r in enumerate(rows) if i % 10 == 0],
                                 concurrency=128, raise_on_first_error=True)
    cluster.shutdown()
    print(f"loaded {len(rows):,} rows into {SIMPLE_KS}.rows in {time.monotonic() - began:.0f} s",
          flush=True)


def ceiling(table, concurrency):
    out = run([str(CEILING), "--table", table, "--concurrency", concurrency, "--batch", "1,16"],
              timeout=3600)
    lines = out.stdout.strip().splitlines()
    for line in lines[1:-1]:
        print(f"  ceiling {line}", flush=True)
    best = re.search(r"ceiling: (.*?): (\d+) rows/s", lines[-1])
    n = int(re.search(r"(\d+) rows read", lines[0]).group(1))
    return n, float(best.group(2)), best.group(1)


def copy_rate(table, columns):
    cql("127.0.0.3", f"TRUNCATE {table}")
    with tempfile.TemporaryDirectory() as d:
        csv = Path(d) / "rows.csv"
        began = time.monotonic()
        cql("127.0.0.2", f"COPY {table} ({columns}) TO '{csv}'")
        cql("127.0.0.3", f"COPY {table} ({columns}) FROM '{csv}'")
        secs = time.monotonic() - began
        return sum(1 for _ in open(csv)) / secs


def measure_backfill(tables, label):
    for t in tables:
        cql("127.0.0.3", f"TRUNCATE {t}")
    summary = {}
    rows, mb, secs = backfill(tables, f"ceiling_{label}_{int(time.time() * 1000)}", binary=TANDEM,
                              summary=summary)
    ended = re.search(r"adaptive concurrency ended at (\d+)", summary["line"])
    print(f"  backfill: {rows:,} rows, {mb:.1f} MB in {secs:.1f} s = {rows / secs:,.0f} rows/s, "
          f"{mb / secs:.2f} MB/s, CPU {summary['cpu'] / rows * 1e5:.2f} s/100k rows, adaptive "
          f"concurrency ended at {ended.group(1) if ended else '?'}", flush=True)
    return rows / secs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tables", default="simple,fixture")
    ap.add_argument("--skip-load", action="store_true", help="the rows are loaded already")
    ap.add_argument("--copy", action="store_true", help="also cqlsh COPY TO + FROM (slow)")
    ap.add_argument("--concurrency", default="16,32,64,128,256")
    a = ap.parse_args()
    which = a.tables.split(",")
    if "simple" in which:
        if not a.skip_load:
            load_simple()
            cql("127.0.0.3", f"DROP KEYSPACE IF EXISTS {SIMPLE_KS}")
            run([str(TANDEM), "schema", "apply"], env={"TANDEM_BACKFILL_KEYSPACES": SIMPLE_KS})
        table = f"{SIMPLE_KS}.rows"
        print(f"{table} (2,000 partitions of 100 rows, old writetimes, a tenth with a TTL):")
        n, best, where = ceiling(table, a.concurrency)
        rate = measure_backfill([table], "simple")
        print(f"  => ceiling {best:,.0f} rows/s ({where}); backfill {rate:,.0f} rows/s = "
              f"{rate / best:.2f} of it", flush=True)
        if a.copy:
            c = copy_rate(table, "p, c, v, n")
            print(f"  cqlsh COPY TO + FROM: {c:,.0f} rows/s = {c / best:.2f} of the ceiling "
                  f"(keeps no writetime or TTL)", flush=True)
    if "fixture" in which:
        if not a.skip_load:
            print(run([sys.executable, str(ROOT / "tools" / "backfill_fixture.py")]).stdout.strip())
            cql("127.0.0.3", "DROP KEYSPACE IF EXISTS tandem_bf")
            run([str(TANDEM), "schema", "apply"], env={"TANDEM_BACKFILL_KEYSPACES": "tandem_bf"})
        print("the fixture without its counter table:")
        total_rows, total_secs = 0, 0.0
        for t in FIXTURE_TABLES:
            n, best, where = ceiling(t, a.concurrency)
            print(f"  {t}: {n:,} rows, ceiling {best:,.0f} rows/s ({where})", flush=True)
            total_rows += n
            total_secs += n / best
        best = total_rows / total_secs
        rate = measure_backfill(FIXTURE_TABLES, "fixture")
        print(f"  => ceiling {best:,.0f} rows/s for its {total_rows:,} rows; backfill {rate:,.0f} "
              f"rows/s = {rate / best:.2f} of it", flush=True)


if __name__ == "__main__":
    main()
