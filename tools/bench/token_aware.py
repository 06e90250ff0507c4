#!/usr/bin/env python3
"""Token-aware routing on and off (issue 15), one run, rounds alternating A B A B: the same
prepared single-partition INSERTs and SELECTs from the Python driver through two proxies in
front of the same multi-node clusters, one with routing.token_aware true, one false. Prints per
proxy the client-side p50/p99 latency, requests/s, and the proxy's token-aware counters.

The keyspace has replication factor 1 on both clusters, so a coordinator that is not the replica
always pays the hop to the one node that has the partition (with RF = number of nodes every node
is a replica and routing changes nothing).

Needs `tools/clusters up --source-nodes 3 --target-nodes 2` and its environment
(eval "$(tools/clusters env)"). The proxy binary: $TANDEM_BIN, else build/tandem.

Usage: token_aware.py [--requests 4000] [--rounds 2] [--in-flight 16]"""
import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "integration"))

from cassandra.cluster import Cluster  # noqa: E402

from admin_http import metric  # noqa: E402
from proxy_process import ProxyProcess  # noqa: E402

KS = "tandem_bench_token"


def make_schema():
    import os
    for side in ("SOURCE", "TARGET"):
        host = os.environ[f"TANDEM_{side}_HOSTS"].split(",")[0]
        cluster = Cluster([host], protocol_version=4)
        session = cluster.connect()
        session.execute(f"DROP KEYSPACE IF EXISTS {KS}")
        session.execute(f"CREATE KEYSPACE {KS} WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        session.execute(f"CREATE TABLE {KS}.kv (k int PRIMARY KEY, v text)")
        cluster.shutdown()


def run_load(proxy, requests, in_flight, first_key):
    """(latencies in ms, elapsed s) of `requests` requests, half INSERTs, half SELECTs."""
    cluster, session = proxy.connect()
    try:
        insert = session.prepare(f"INSERT INTO {KS}.kv (k, v) VALUES (?, ?)")
        select = session.prepare(f"SELECT v FROM {KS}.kv WHERE k = ?")
        for k in range(200):  # warm-up: replica connections opened, statements prepared there
            session.execute(insert, (first_key - k - 1, "w"))
        latencies = []
        lock = threading.Lock()
        done = threading.Event()
        sent = [0]
        window = threading.Semaphore(in_flight)

        def finished(started):
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)
                if len(latencies) == requests:
                    done.set()
            window.release()

        started_all = time.perf_counter()
        for i in range(requests):
            window.acquire()
            k = first_key + i // 2
            started = time.perf_counter()
            future = session.execute_async(insert, (k, "x" * 50)) if i % 2 == 0 else \
                session.execute_async(select, (k,))
            future.add_callbacks(lambda _, s=started: finished(s), lambda _, s=started: finished(s))
            sent[0] += 1
        done.wait(120)
        return latencies, time.perf_counter() - started_all
    finally:
        cluster.shutdown()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=4000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--in-flight", type=int, default=16)
    a = ap.parse_args()
    make_schema()
    proxies = {
        "token_aware": ProxyProcess(port=9281, yaml_text="  instances: [\"127.0.0.1:9281\"]\n",
                                    env={"TANDEM_ROUTING_TOKEN_AWARE": "true"}).start(),
        "client_node": ProxyProcess(port=9282, yaml_text="  instances: [\"127.0.0.1:9282\"]\n",
                                    env={"TANDEM_ROUTING_TOKEN_AWARE": "false"}).start(),
    }
    results = {name: [] for name in proxies}
    rates = {name: [] for name in proxies}
    try:
        time.sleep(2)
        key = 0
        for r in range(a.rounds):
            for name, proxy in proxies.items():
                key += a.requests
                lat, secs = run_load(proxy, a.requests, a.in_flight, key)
                results[name] += lat
                rates[name].append(len(lat) / secs)
                print(f"round {r + 1} {name}: {len(lat)} requests, {len(lat) / secs:.0f}/s", flush=True)
        for name, proxy in proxies.items():
            lat = sorted(results[name])
            p50 = statistics.median(lat)
            p99 = lat[int(len(lat) * 0.99) - 1]
            print(f"{name}: p50 {p50:.2f} ms, p99 {p99:.2f} ms, {statistics.mean(rates[name]):.0f} "
                  f"requests/s (mean of rounds), token-aware legs "
                  f"{metric(proxy, 'tandem_token_aware_requests_total'):.0f}, fallbacks "
                  f"{metric(proxy, 'tandem_token_aware_fallbacks_total'):.0f}")
    finally:
        for proxy in proxies.values():
            proxy.stop()


if __name__ == "__main__":
    main()
