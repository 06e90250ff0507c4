#!/usr/bin/env python3
"""The demo's parts that talk CQL (tools/demo runs them in order and narrates):

  load      history written directly into the source, as an application did before Tandem:
            customers (set, map), orders (a static column, clustering), sessions (TTLs); every
            cell with an old writetime (2021), so the backfill's care for writetimes shows
  workload  the application during the migration: reads and writes through the proxy, until
            a stop file appears; its counts go to a JSON results file every second
  prove     after the flip: a row written directly to the target only is read through the
            proxy (reads come from the target), and a write through the proxy reaches both
            clusters with one writetime (so the flip can be undone)
  results   the workload's results file as one line

Each prints one line per thing it did and what that proved."""
import argparse
import json
import os
import random
import sys
import time
import uuid

from cassandra import ConsistencyLevel
from cassandra.cluster import Cluster, ExecutionProfile, EXEC_PROFILE_DEFAULT
from cassandra.concurrent import execute_concurrent_with_args
from cassandra.policies import WhiteListRoundRobinPolicy

KS = "demo"
OLD_WRITETIME = 1_614_556_800_000_000  # 2021-03-01 00:00:00 UTC, in µs
TTL = 30 * 86400


def session_on(host: str, port: int = 9042, protocol: int = 4):
    profile = ExecutionProfile(load_balancing_policy=WhiteListRoundRobinPolicy([host]),
                               request_timeout=30, consistency_level=ConsistencyLevel.ONE)
    cluster = Cluster([host], port=port, protocol_version=protocol,
                      execution_profiles={EXEC_PROFILE_DEFAULT: profile})
    return cluster, cluster.connect()


def load(args):
    cluster, s = session_on(args.source)
    # A fresh start on both sides: the demo shows a whole migration each time it runs.
    s.execute(f"DROP KEYSPACE IF EXISTS {KS}")
    tcluster, t = session_on(args.target)
    t.execute(f"DROP KEYSPACE IF EXISTS {KS}")
    tcluster.shutdown()
    s.execute(f"CREATE KEYSPACE {KS} WITH replication = "
              "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    s.execute(f"CREATE TABLE {KS}.customers (id int PRIMARY KEY, name text, emails set<text>, "
              "prefs map<text, text>, since timestamp)")
    s.execute(f"CREATE TABLE {KS}.orders (customer int, id timeuuid, region text STATIC, "
              "amount int, items list<text>, PRIMARY KEY (customer, id))")
    s.execute(f"CREATE TABLE {KS}.sessions (sid uuid PRIMARY KEY, customer int, agent text)")
    customers = args.customers
    rng = random.Random(7)
    started = time.monotonic()
    ins_c = s.prepare(f"INSERT INTO {KS}.customers (id, name, emails, prefs, since) "
                      "VALUES (?, ?, ?, ?, ?) USING TIMESTAMP ?")
    rows_c = [(i, f"customer {i}", {f"c{i}@example.com", f"c{i}@work.example"},
               {"lang": rng.choice(["en", "de", "fr"]), "tier": rng.choice(["free", "pro"])},
               1_600_000_000_000 + i * 1000, OLD_WRITETIME + i) for i in range(customers)]
    execute_concurrent_with_args(s, ins_c, rows_c, concurrency=64, raise_on_first_error=True)
    ins_region = s.prepare(f"INSERT INTO {KS}.orders (customer, region) VALUES (?, ?) "
                           "USING TIMESTAMP ?")
    execute_concurrent_with_args(s, ins_region, [(i, rng.choice(["eu", "us", "ap"]), OLD_WRITETIME)
                                                 for i in range(customers)],
                                 concurrency=64, raise_on_first_error=True)
    ins_o = s.prepare(f"INSERT INTO {KS}.orders (customer, id, amount, items) VALUES (?, ?, ?, ?) "
                      "USING TIMESTAMP ?")
    rows_o = [(i % customers, uuid.uuid1(), rng.randint(1, 500), [f"item-{j}" for j in range(3)],
               OLD_WRITETIME + 1000 + i) for i in range(args.orders)]
    execute_concurrent_with_args(s, ins_o, rows_o, concurrency=64, raise_on_first_error=True)
    ins_s = s.prepare(f"INSERT INTO {KS}.sessions (sid, customer, agent) VALUES (?, ?, ?) "
                      "USING TTL ?")
    rows_s = [(uuid.uuid4(), i % customers, "browser", TTL) for i in range(args.sessions)]
    execute_concurrent_with_args(s, ins_s, rows_s, concurrency=64, raise_on_first_error=True)
    cluster.shutdown()
    total = customers + args.orders + args.sessions
    print(f"history: {total} rows loaded directly into the source in {time.monotonic() - started:.1f} s "
          f"({customers} customers with a set and a map, {args.orders} orders with a static region, "
          f"{args.sessions} sessions with a {TTL // 86400}-day TTL; writetimes from 2021) — the target "
          "has none of it")


def workload(args):
    """Writes new orders and updates customers, reads customers back, through the proxy, until
    the stop file appears. Counts go to the results file (json) every second."""
    cluster, s = session_on(args.proxy, protocol=5)
    ins = s.prepare(f"INSERT INTO {KS}.orders (customer, id, amount, items) VALUES (?, ?, ?, ?)")
    upd = s.prepare(f"UPDATE {KS}.customers SET prefs['seen'] = ? WHERE id = ?")
    sel = s.prepare(f"SELECT name, prefs FROM {KS}.customers WHERE id = ?")
    rng = random.Random(11)
    counts = {"writes": 0, "reads": 0, "errors": 0, "last_error": "", "started": time.time()}
    last_dump = 0.0
    interval = 1.0 / args.rate
    while not os.path.exists(args.stop_file):
        c = rng.randrange(args.customers)
        try:
            s.execute(ins, (c, uuid.uuid1(), rng.randint(1, 500), ["live"]))
            s.execute(upd, (str(int(time.time())), c))
            counts["writes"] += 2
            if s.execute(sel, (c,)).one() is None:
                raise RuntimeError(f"customer {c} not found through the proxy")
            counts["reads"] += 1
        except Exception as e:  # counted and shown: the demo's last lines report them
            counts["errors"] += 1
            counts["last_error"] = str(e)[:300]
        if time.monotonic() - last_dump > 1.0:
            counts["updated"] = time.time()
            with open(args.out + ".tmp", "w") as f:
                json.dump(counts, f)
            os.replace(args.out + ".tmp", args.out)
            last_dump = time.monotonic()
        time.sleep(interval)
    counts["updated"] = time.time()
    counts["stopped"] = True
    with open(args.out + ".tmp", "w") as f:
        json.dump(counts, f)
    os.replace(args.out + ".tmp", args.out)
    cluster.shutdown()


def prove(args):
    pcluster, p = session_on(args.proxy, protocol=5)
    scluster, s = session_on(args.source)
    tcluster, t = session_on(args.target)
    ok = True
    marker = 900_000_000 + random.Random().randrange(1_000_000)
    t.execute(f"INSERT INTO {KS}.customers (id, name) VALUES ({marker}, 'written on the target only')")
    row = p.execute(f"SELECT name FROM {KS}.customers WHERE id = {marker}").one()
    on_source = s.execute(f"SELECT name FROM {KS}.customers WHERE id = {marker}").one()
    if row is not None and row.name == "written on the target only" and on_source is None:
        print(f"reads: a row written directly to the target only (id {marker}) is read through the "
              "proxy, and the source does not have it — reads are served by the target")
    else:
        ok = False
        print(f"reads: FAILED: the proxy answered {row} for a row only the target has")
    p.execute(f"DELETE FROM {KS}.customers WHERE id = {marker}")
    key = marker + 1
    p.execute(f"INSERT INTO {KS}.customers (id, name) VALUES ({key}, 'written after the flip')")
    q = f"SELECT name, WRITETIME(name) AS wt FROM {KS}.customers WHERE id = {key}"
    # The primary (now the target) answered the client; the source's copy follows a moment later.
    deadline = time.monotonic() + 10
    while True:
        a, b = s.execute(q).one(), t.execute(q).one()
        if (a is not None and b is not None) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    if a is not None and b is not None and a.wt == b.wt:
        print(f"writes: a row written through the proxy after the flip is on the source and the "
              f"target with one writetime ({a.wt}) — the source stays current, so the flip can be "
              "undone")
    else:
        ok = False
        print(f"writes: FAILED: source has {a}, target has {b}")
    for c in (pcluster, scluster, tcluster):
        c.shutdown()
    return 0 if ok else 1


def results(args):
    deadline = time.monotonic() + 30
    counts = {}
    while time.monotonic() < deadline:
        try:
            with open(args.out) as f:
                counts = json.load(f)
        except (OSError, ValueError):
            counts = {}
        if counts.get("stopped") or not args.wait_stopped:
            break
        time.sleep(0.2)
    if not counts:
        print(f"workload: no results in {args.out}")
        return 1
    seconds = counts["updated"] - counts["started"]
    line = (f"workload: {counts['writes']} writes and {counts['reads']} reads through the proxy in "
            f"{seconds:.0f} s, during the backfill, the validation and the flip; {counts['errors']} errors")
    if counts["errors"]:
        line += f" (last: {counts['last_error']})"
    print(line)
    return 0 if counts["errors"] == 0 else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("step", choices=["load", "workload", "prove", "results"])
    ap.add_argument("--source", default="127.0.0.2")
    ap.add_argument("--target", default="127.0.0.3")
    ap.add_argument("--proxy", default="127.0.0.1")
    ap.add_argument("--customers", type=int, default=5000)
    ap.add_argument("--orders", type=int, default=40000)
    ap.add_argument("--sessions", type=int, default=5000)
    ap.add_argument("--rate", type=float, default=50, help="workload rounds per second")
    ap.add_argument("--out", default="workload.json", help="the workload's results file")
    ap.add_argument("--stop-file", default="workload.stop")
    ap.add_argument("--wait-stopped", action="store_true")
    args = ap.parse_args()
    return {"load": load, "workload": workload, "prove": prove, "results": results}[args.step](args) or 0


if __name__ == "__main__":
    sys.exit(main())
