#!/usr/bin/env python3
"""Loads a skewed table DIRECTLY into the source (never through the proxy), for the data-skew
test and benchmark (issue 15, done-means 6): tandem_skew.skew (p int, c int, v text,
PRIMARY KEY (p, c)) with one partition of --big-rows rows beside --rest-rows rows spread over
partitions of --rest-partition-rows rows each (keys 1, 2, ...).

The big partition's key is the negative int with the lowest Murmur3 token among the first
100,000, so its token lies in the ring's first unit: the backfill claims units in token order,
so the big partition starts first and the rest is copied while it runs (what the test watches).

Rows go in UNLOGGED batches of one partition (100 rows), which loads a million rows into a
3-node RF 3 cluster in about a minute here.

Usage: skew_fixture.py [--host 127.0.0.2] [--big-rows 500000] [--rest-rows 500000]
                       [--rest-partition-rows 100] [--replication-factor 1]
Prints the big partition's key and token, the row counts and the time taken."""
import argparse
import struct
import time

from cassandra import ConsistencyLevel
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
from cassandra.concurrent import execute_concurrent
from cassandra.murmur3 import murmur3
from cassandra.policies import RoundRobinPolicy, TokenAwarePolicy
from cassandra.query import BatchStatement, BatchType

KS = "tandem_skew"
TABLE = "skew"
ROWS_PER_BATCH = 100


def big_key():
    """The key in -1 .. -100,000 whose token is the lowest (an int key is hashed as its four
    big-endian bytes)."""
    return min(range(-1, -100_001, -1), key=lambda k: murmur3(struct.pack(">i", k)))


def token_of(key):
    return murmur3(struct.pack(">i", key))


def batches(insert, big, big_rows, rest_rows, rest_partition_rows):
    """(batch, ()) pairs: rows of one partition per batch."""
    def chunks(p, first, count):
        for start in range(first, first + count, ROWS_PER_BATCH):
            b = BatchStatement(batch_type=BatchType.UNLOGGED, consistency_level=ConsistencyLevel.ONE)
            for c in range(start, min(first + count, start + ROWS_PER_BATCH)):
                b.add(insert, (p, c, f"v{p}.{c}"))
            yield b, ()
    yield from chunks(big, 0, big_rows)
    partitions = (rest_rows + rest_partition_rows - 1) // rest_partition_rows
    for i in range(partitions):
        yield from chunks(1 + i, 0, min(rest_partition_rows, rest_rows - i * rest_partition_rows))


def load(session, big_rows, rest_rows, rest_partition_rows, replication_factor):
    session.execute(f"DROP KEYSPACE IF EXISTS {KS}")
    session.execute(f"CREATE KEYSPACE {KS} WITH replication = "
                    f"{{'class': 'SimpleStrategy', 'replication_factor': {replication_factor}}}")
    session.execute(f"CREATE TABLE {KS}.{TABLE} (p int, c int, v text, PRIMARY KEY (p, c))")
    insert = session.prepare(f"INSERT INTO {KS}.{TABLE} (p, c, v) VALUES (?, ?, ?)")
    big = big_key()
    work = batches(insert, big, big_rows, rest_rows, rest_partition_rows)
    # execute_concurrent consumes the generator as it goes: memory stays one window of batches.
    results = execute_concurrent(session, work, concurrency=48, raise_on_first_error=True,
                                 results_generator=True)
    for _ in results:
        pass
    return big


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.2")
    ap.add_argument("--big-rows", type=int, default=500_000)
    ap.add_argument("--rest-rows", type=int, default=500_000)
    ap.add_argument("--rest-partition-rows", type=int, default=100)
    ap.add_argument("--replication-factor", type=int, default=1,
                    help="of keyspace tandem_skew (SimpleStrategy); 3 on a 3-node source")
    a = ap.parse_args()
    # Token-aware over every node of the source: each batch goes to a replica of its partition.
    profile = ExecutionProfile(load_balancing_policy=TokenAwarePolicy(RoundRobinPolicy()),
                               request_timeout=120)
    cluster = Cluster([a.host], protocol_version=4,
                      execution_profiles={EXEC_PROFILE_DEFAULT: profile})
    session = cluster.connect()
    began = time.monotonic()
    big = load(session, a.big_rows, a.rest_rows, a.rest_partition_rows, a.replication_factor)
    print(f"big partition p={big} token={token_of(big)}")
    print(f"loaded {a.big_rows} + {a.rest_rows} rows into {KS}.{TABLE} on {a.host} "
          f"in {time.monotonic() - began:.1f}s")
    cluster.shutdown()


if __name__ == "__main__":
    main()
