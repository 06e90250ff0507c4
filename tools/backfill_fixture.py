#!/usr/bin/env python3
"""Loads the backfill fixture DIRECTLY into the source (never through the proxy): keyspace
tandem_bf with five tables covering simple and composite partition keys, clustering keys,
static columns, TTLs, old explicit USING TIMESTAMP values, frozen and non-frozen
list/set/map, a user type (frozen and not), primary-key-only rows, nulls, counters, and one
partition of 50,000 rows. At --scale 1 it holds 200,000 rows.

Usage: backfill_fixture.py [--host 127.0.0.2] [--scale 1.0] [--replication-factor 1] [--user U --password P]
Prints the row count of each table and the time taken."""
import argparse
import time

from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
from cassandra.concurrent import execute_concurrent_with_args
from cassandra.policies import WhiteListRoundRobinPolicy

KS = "tandem_bf"
TABLES = ["users", "events", "wide", "keyonly", "counts"]


def counts(scale):
    return {"users": int(60000 * scale), "events": int(40000 * scale),
            "wide_big": 50000 if scale >= 1 else int(50000 * scale),
            "wide_rest": int(10000 * scale), "keyonly": int(30000 * scale),
            "counts": int(10000 * scale)}


def load(session, scale, replication_factor=1):
    n = counts(scale)
    session.execute(f"DROP KEYSPACE IF EXISTS {KS}")
    session.execute(f"CREATE KEYSPACE {KS} WITH replication = "
                    f"{{'class': 'SimpleStrategy', 'replication_factor': {replication_factor}}}")
    session.execute(f"CREATE TYPE {KS}.addr (street text, num int)")
    session.execute(f"CREATE TABLE {KS}.users (k int PRIMARY KEY, name text, age int, score double)")
    session.execute(f"CREATE TABLE {KS}.events (tenant text, day int, seq int, note text STATIC, "
                    "tags set<text>, attrs map<text, int>, hist list<int>, fixed frozen<list<int>>, "
                    "home frozen<addr>, work addr, v text, PRIMARY KEY ((tenant, day), seq)) "
                    "WITH CLUSTERING ORDER BY (seq DESC)")
    session.execute(f"CREATE TABLE {KS}.wide (p int, c int, v text, PRIMARY KEY (p, c))")
    session.execute(f"CREATE TABLE {KS}.keyonly (a int, b int, PRIMARY KEY ((a), b))")
    session.execute(f"CREATE TABLE {KS}.counts (k int PRIMARY KEY, hits counter, misses counter)")

    def run(cql, rows):
        stmt = session.prepare(cql)
        execute_concurrent_with_args(session, stmt, rows, concurrency=128, raise_on_first_error=True)

    users = range(n["users"])
    run(f"INSERT INTO {KS}.users (k, name, age, score) VALUES (?, ?, ?, ?) USING TIMESTAMP ?",
        [(k, f"user {k}", None if k % 7 == 0 else k % 90, k / 3.0, 1_500_000_000_000_000 + k)
         for k in users if k % 3 == 0])                                    # old explicit timestamps, nulls
    run(f"INSERT INTO {KS}.users (k, name, age, score) VALUES (?, ?, ?, ?) USING TTL 86400",
        [(k, f"user {k}", k % 90, k / 3.0) for k in users if k % 3 == 1])  # TTLs
    run(f"UPDATE {KS}.users SET name = ?, score = ? WHERE k = ?",
        [(f"user {k}", k / 3.0, k) for k in users if k % 3 == 2])          # no row marker
    run(f"INSERT INTO {KS}.events (tenant, day, seq, note, tags, attrs, hist, fixed, home, work, v) "
        "VALUES (?, ?, ?, ?, {'a', 'b'}, {'x': 1}, [1, 2, 3], [4, 5], {street: 'main', num: 1}, "
        "{street: 'side', num: 2}, ?)",
        [(f"t{i % 20}", i % 20, i, f"note {i % 400}", None if i % 11 == 0 else f"v{i}")
         for i in range(n["events"])])
    run(f"INSERT INTO {KS}.wide (p, c, v) VALUES (?, ?, ?)",
        [(0, c, f"w{c}") for c in range(n["wide_big"])] +
        [(1 + c % 100, c, f"r{c}") for c in range(n["wide_rest"])])
    run(f"INSERT INTO {KS}.keyonly (a, b) VALUES (?, ?)",
        [(i % 1000, i) for i in range(n["keyonly"])])
    run(f"UPDATE {KS}.counts SET hits = hits + ?, misses = misses + ? WHERE k = ?",
        [(i % 17, i % 5, i) for i in range(n["counts"])])
    return sum(v for v in n.values())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.2")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--replication-factor", type=int, default=1,
                    help="of keyspace tandem_bf (SimpleStrategy); 3 on a 3-node source")
    ap.add_argument("--user")
    ap.add_argument("--password")
    a = ap.parse_args()
    auth = PlainTextAuthProvider(a.user, a.password) if a.user else None
    profile = ExecutionProfile(load_balancing_policy=WhiteListRoundRobinPolicy([a.host]),
                               request_timeout=60)
    cluster = Cluster([a.host], protocol_version=4, auth_provider=auth,
                      execution_profiles={EXEC_PROFILE_DEFAULT: profile})
    session = cluster.connect()
    began = time.monotonic()
    total = load(session, a.scale, a.replication_factor)
    print(f"loaded {total} rows into {KS} on {a.host} in {time.monotonic() - began:.1f}s")
    cluster.shutdown()


if __name__ == "__main__":
    main()
