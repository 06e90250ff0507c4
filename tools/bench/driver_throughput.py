#!/usr/bin/env python3
"""A first, coarse throughput figure: the same prepared-INSERT workload from the Python driver
(execute_concurrent, 64 in flight) straight to the source and through the proxy. The Python
driver itself is the bottleneck long before the proxy is; tools/bench (issue 7) will measure
the proxy properly with a C++ load generator.

Usage: driver_throughput.py --target HOST:PORT [--rows N] [--label NAME]"""
import argparse
import time

from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
from cassandra.concurrent import execute_concurrent_with_args
from cassandra.policies import WhiteListRoundRobinPolicy


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", required=True)
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--label", default="")
    args = ap.parse_args()
    host, port = args.target.split(":")
    profile = ExecutionProfile(load_balancing_policy=WhiteListRoundRobinPolicy([host]))
    cluster = Cluster([host], port=int(port), protocol_version=4,
                      execution_profiles={EXEC_PROFILE_DEFAULT: profile})
    session = cluster.connect()
    session.execute("CREATE KEYSPACE IF NOT EXISTS tandem_bench WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE IF NOT EXISTS tandem_bench.kv (k int PRIMARY KEY, v text)")
    insert = session.prepare("INSERT INTO tandem_bench.kv (k, v) VALUES (?, ?)")
    params = [(i, "x" * 100) for i in range(args.rows)]
    execute_concurrent_with_args(session, insert, params[:1000], concurrency=64)  # warm-up
    started = time.monotonic()
    results = execute_concurrent_with_args(session, insert, params, concurrency=64,
                                           raise_on_first_error=True)
    elapsed = time.monotonic() - started
    assert all(ok for ok, _ in results)
    cluster.shutdown()
    print(f"{args.label or args.target}: {args.rows} prepared inserts in {elapsed:.2f}s = "
          f"{args.rows / elapsed:.0f} writes/s")


if __name__ == "__main__":
    main()
