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

With --loadgen BIN the load comes from the C++ load generator (tools/bench, tandem-loadgen) at a
fixed --rate for --duration per round instead of the Python driver: 2 connections, half prepared
INSERTs and half SELECTs by key over --keys keys, its own p50/p99 and answers per second.

With --loadgen and --memory-clients N, each proxy instead gets N client connections of the load
generator at 2 requests/s each for --duration (enough for every client to reach every node's
replicas), and the proxy's resident memory (VmRSS, VmHWM) and its connections to the clusters'
nodes are printed: the cost of the per-client replica connections.

Usage: token_aware.py [--requests 4000] [--rounds 2] [--in-flight 16]
                      [--loadgen build/tools/bench/tandem-loadgen --rate 500 --duration 20s]
                      [--memory-clients 1000]"""
import argparse
import json
import subprocess
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
        # The load generator's table (tools/bench/workload.hpp).
        session.execute(f"CREATE TABLE {KS}.kv_bytes (k bigint PRIMARY KEY, v blob)")
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


def run_loadgen(proxy, binary, rate, duration, keys):
    """(p50 ms, p99 ms, answers/s, errors) of one fixed-rate run of tandem-loadgen."""
    run = subprocess.run([binary, "--target", f"127.0.0.1:{proxy.port}", "--connections", "2",
                          "--in-flight", "64", "--rate", str(rate), "--duration", duration,
                          "--warmup", "2s", "--write-ratio", "0.5", "--keys", str(keys),
                          "--keyspace", KS, "--table", "kv_bytes", "--consistency", "LOCAL_ONE",
                          "--json"], capture_output=True, text=True, timeout=600)
    if run.returncode != 0:
        raise RuntimeError(f"tandem-loadgen failed: {run.stdout}{run.stderr}")
    r = json.loads(run.stdout.strip().splitlines()[-1])
    return (r["latency_us"]["p50"] / 1000, r["latency_us"]["p99"] / 1000, r["ops_per_s"],
            r["errors"])


def proc_status(pid, field):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) // 1024  # kB -> MiB
    return 0


def node_connections(pid):
    """The process's established TCP connections to port 9042 (the clusters' nodes)."""
    out = subprocess.run(["ss", "-tnp", "state", "established", "( dport = :9042 )"],
                         capture_output=True, text=True).stdout
    return sum(1 for line in out.splitlines() if f"pid={pid}," in line)


def main_memory(a, proxies):
    for name, proxy in proxies.items():
        pid = proxy.process.pid
        before = proc_status(pid, "VmRSS")
        load = subprocess.Popen([a.loadgen, "--target", f"127.0.0.1:{proxy.port}", "--connections",
                                 str(a.memory_clients), "--in-flight", "1", "--rate",
                                 str(2 * a.memory_clients), "--duration", a.duration,
                                 "--write-ratio", "0.5", "--keys", str(a.keys), "--keyspace", KS,
                                 "--table", "kv_bytes", "--threads", "2", "--json"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seconds = float(a.duration.rstrip("s"))
        time.sleep(seconds * 0.8)  # the clients connected and busy
        rss, conns = proc_status(pid, "VmRSS"), node_connections(pid)
        out, err = load.communicate(timeout=600)
        if load.returncode != 0:
            raise RuntimeError(f"tandem-loadgen failed: {out}{err}")
        r = json.loads(out.strip().splitlines()[-1])
        print(f"{name}: {a.memory_clients} clients, {r['ops_per_s']:.0f} requests/s, "
              f"{r['errors']} errors; proxy RSS {before} MiB idle -> {rss} MiB under load, peak "
              f"{proc_status(pid, 'VmHWM')} MiB; {conns} connections to the nodes", flush=True)


def main_loadgen(a, proxies):
    rows = {name: [] for name in proxies}
    for r in range(a.rounds):
        for name, proxy in proxies.items():
            p50, p99, rate, errors = run_loadgen(proxy, a.loadgen, a.rate, a.duration, a.keys)
            rows[name].append((p50, p99, rate, errors))
            print(f"round {r + 1} {name}: p50 {p50:.2f} ms, p99 {p99:.2f} ms, {rate:.0f}/s, "
                  f"{errors} errors", flush=True)
    for name, proxy in proxies.items():
        got = rows[name]
        print(f"{name}: p50 {statistics.median(g[0] for g in got):.2f} ms, p99 "
              f"{statistics.median(g[1] for g in got):.2f} ms (medians of rounds), "
              f"{statistics.mean(g[2] for g in got):.0f} requests/s, {sum(g[3] for g in got)} "
              f"errors, token-aware legs {metric(proxy, 'tandem_token_aware_requests_total'):.0f}, "
              f"fallbacks {metric(proxy, 'tandem_token_aware_fallbacks_total'):.0f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=4000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--in-flight", type=int, default=16)
    ap.add_argument("--loadgen", help="tandem-loadgen binary: load from it instead of the driver")
    ap.add_argument("--rate", type=int, default=500, help="with --loadgen: requests/s in total")
    ap.add_argument("--duration", default="20s", help="with --loadgen: measured time per round")
    ap.add_argument("--keys", type=int, default=100000, help="with --loadgen: distinct keys")
    ap.add_argument("--memory-clients", type=int, default=0,
                    help="with --loadgen: this many clients, and the proxies' memory")
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
        if a.loadgen and a.memory_clients:
            main_memory(a, proxies)
            return
        if a.loadgen:
            main_loadgen(a, proxies)
            return
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
