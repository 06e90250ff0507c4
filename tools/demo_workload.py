#!/usr/bin/env python3
"""The demo's workload: writes through the proxy, then reads each cluster directly and shows
that both hold every row with the same WRITETIME."""
import argparse
import socket
import sys
import time
import uuid

from cassandra.cluster import Cluster
from cassandra.query import BatchStatement


def wait_for(host, port, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"the proxy does not answer on {host}:{port}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--proxy", default="127.0.0.1")
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--wait", type=float, default=30)
    args = ap.parse_args()
    wait_for(args.proxy, 9042, args.wait)

    cluster = Cluster([args.proxy], protocol_version=5)
    session = cluster.connect()
    session.execute("CREATE KEYSPACE IF NOT EXISTS demo WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE IF NOT EXISTS demo.orders (id uuid PRIMARY KEY, customer text, "
                    "amount int, created timeuuid)")
    insert = session.prepare("INSERT INTO demo.orders (id, customer, amount, created) "
                             "VALUES (?, ?, ?, ?)")
    started = time.monotonic()
    futures = [session.execute_async(insert, (uuid.uuid4(), f"customer-{i % 50}", i, uuid.uuid1()))
               for i in range(args.rows)]
    for f in futures:
        f.result()
    batch = BatchStatement()
    for i in range(10):
        batch.add(insert, (uuid.uuid4(), "batch", i, uuid.uuid1()))
    session.execute(batch)
    elapsed = time.monotonic() - started
    total = session.execute("SELECT count(*) FROM demo.orders").one()[0]
    cluster.shutdown()
    print(f"wrote {args.rows + 10} rows through the proxy in {elapsed:.2f}s "
          f"({(args.rows + 10) / elapsed:.0f} rows/s); the proxy reads {total} rows")

    snapshots = {}
    for name, host in (("source", "127.0.0.2"), ("target", "127.0.0.3")):
        c = Cluster([host], protocol_version=4)
        s = c.connect()
        snapshots[name] = {r.id: (r.customer, r.amount, r.wt)
                           for r in s.execute("SELECT id, customer, amount, WRITETIME(amount) AS wt "
                                              "FROM demo.orders")}
        c.shutdown()
        print(f"{name}: {len(snapshots[name])} rows")
    same = snapshots["source"] == snapshots["target"]
    print("source and target hold the same rows with the same WRITETIME: " + ("yes" if same else "NO"))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
