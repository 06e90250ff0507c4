"""Issue 15: the proxy and the backfill against multi-node clusters, started by
`tools/clusters up --source-nodes 3 --target-nodes 2` (tools/test's multi-node phase, marker
`multinode`): source RF 3, target RF 2, keyspaces made directly on each cluster.

1. Python driver, gocql and the Java driver write through the proxy; every node of both
   clusters, read at ALL, gives the same values and WRITETIME.
2. A source node killed under a steady QUORUM write load and started again 30 s later: only
   requests in flight on its connections fail, the clients stay connected, and new connections
   use the node again once it is back.
3. A target node stopped the same way: the journal keeps what the target refused; afterwards
   every acknowledged write is on the target.
5. The backfill of the fixture from the 3-node source to the 2-node target: the units cover the
   ring exactly once and both clusters hold the same rows and writetimes after it; again with a
   source node killed halfway, the copy going on from the other replicas.
"""

import itertools
import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest
from cassandra import ConsistencyLevel, InvalidRequest, ReadFailure
from cassandra.query import SimpleStatement

import backfill_compare
import ring_health
from admin_http import metric
from conftest import REPO_ROOT, cassandra_pid
from live_writer import LiveWriter
from proxy_process import ProxyProcess, run_tandem, start_tandem

pytestmark = [pytest.mark.multinode, pytest.mark.usefixtures("settled_rings")]

CLUSTERS = ring_health.CLUSTERS
hosts = ring_health.hosts
node_session = ring_health.node_session
REPLICATION = {"source": 3, "target": 2}
RING = 2 ** 64  # Murmur3 tokens: (-2^63, 2^63 - 1]


@pytest.fixture(scope="module", autouse=True)
def ring():
    if len(hosts("source")) < 3 or len(hosts("target")) < 2:
        raise RuntimeError("these tests need `tools/clusters up --source-nodes 3 --target-nodes 2` "
                           "and its environment (eval \"$(tools/clusters env)\")")


@pytest.fixture(scope="module")
def direct():
    """A session to node 1 of each cluster."""
    opened = {name: node_session(name, hosts(name)[0]) for name in ("source", "target")}
    yield {name: s for name, (_, s) in opened.items()}
    for cluster, _ in opened.values():
        cluster.shutdown()


def make_keyspace(direct, ks):
    """`ks` made afresh on each cluster with that cluster's replication factor."""
    for name, session in direct.items():
        session.execute(f"DROP KEYSPACE IF EXISTS {ks}")
        session.execute(f"CREATE KEYSPACE {ks} WITH replication = {{'class': 'SimpleStrategy', "
                        f"'replication_factor': {REPLICATION[name]}}}")
    ring_health.settle()


def read_on_every_node(query, timeout=30.0):
    """{(cluster, host): sorted rows of `query` at ALL with that node as coordinator}, once every
    node gives the same rows (a mirrored write may trail its answer) or at the deadline."""
    deadline = time.monotonic() + timeout
    healed = False
    while True:
        seen = {}
        schema_behind = False
        for name in ("source", "target"):
            for host in hosts(name):
                cluster, session = node_session(name, host)
                try:
                    stmt = SimpleStatement(query, consistency_level=ConsistencyLevel.ALL)
                    seen[(name, host)] = sorted(tuple(r) for r in session.execute(stmt))
                except (InvalidRequest, ReadFailure) as e:
                    # A node the new table has not reached yet (schema changes spread by gossip):
                    # as coordinator it answers Invalid, as a replica of a read at ALL it fails
                    # the read with INCOMPATIBLE_SCHEMA (seen in CI on a machine at load 9, where
                    # a node paused for 10 s). Asked again until the deadline, then it stands.
                    if isinstance(e, ReadFailure) and "INCOMPATIBLE_SCHEMA" not in str(e):
                        raise
                    if time.monotonic() > deadline:
                        raise
                    seen[(name, host)] = repr(e)
                    schema_behind = True
                finally:
                    cluster.shutdown()
        if len({repr(rows) for rows in seen.values()}) == 1 or time.monotonic() > deadline:
            return seen
        if schema_behind and not healed and time.monotonic() > deadline - timeout / 2:
            # Half the time gone and a node still without the table: it may have missed the
            # push for good (the last CI run: 8 minutes); settle() restarts such a node, once.
            ring_health.settle()
            healed = True
            deadline = max(deadline, time.monotonic() + timeout / 2)
        time.sleep(0.5)


def assert_same_everywhere(seen, rows):
    first = next(iter(seen.values()))
    assert len(first) == rows, f"{len(first)} rows, not {rows}"
    for where, got in seen.items():
        assert got == first, f"{where} differs: {len(got)} rows, first difference " \
            f"{next((a, b) for a, b in itertools.zip_longest(first, got) if a != b)}"


@pytest.fixture(scope="module")
def proxy():
    p = ProxyProcess(port=9176, yaml_text="  instances: [\"127.0.0.1:9176\"]\n").start()
    yield p
    p.stop()


def test_python_driver_writes_land_on_every_node_with_one_writetime(direct, proxy):
    ks = "tandem_mn_py"
    make_keyspace(direct, ks)
    cluster, session = proxy.connect()
    try:
        session.execute(f"CREATE TABLE {ks}.kv (k int PRIMARY KEY, v text)")
        insert = session.prepare(f"INSERT INTO {ks}.kv (k, v) VALUES (?, ?)")
        insert.consistency_level = ConsistencyLevel.QUORUM
        for k in range(200):
            session.execute(insert, (k, f"prepared {k}"))
        for k in range(200, 220):
            session.execute(SimpleStatement(f"INSERT INTO {ks}.kv (k, v) VALUES ({k}, 'plain')",
                                            consistency_level=ConsistencyLevel.QUORUM))
    finally:
        cluster.shutdown()
    seen = read_on_every_node(f"SELECT k, v, WRITETIME(v) FROM {ks}.kv")
    assert_same_everywhere(seen, 220)


def test_gocql_writes_land_on_every_node_with_one_writetime(direct, proxy, gocql_client):
    make_keyspace(direct, "tandem_gocql")  # the client's CREATE ... IF NOT EXISTS keeps it
    run = subprocess.run([gocql_client, proxy.host, str(proxy.port), "4"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr + proxy.output()
    seen = read_on_every_node("SELECT k, v, WRITETIME(v) FROM tandem_gocql.kv")
    assert_same_everywhere(seen, 1)


def test_java_driver_writes_land_on_every_node_with_one_writetime(direct, proxy, java_command):
    ks = "tandem_mn_java"
    make_keyspace(direct, ks)
    dc = direct["source"].execute("SELECT data_center FROM system.local").one().data_center
    run = subprocess.run(java_command("tandem.JavaClient") +
                         [proxy.host, str(proxy.port), dc, "V4", ks, "existing"],
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stdout + run.stderr + proxy.output()
    assert "rows 23" in run.stdout.splitlines()
    seen = read_on_every_node(f"SELECT k, v, t, WRITETIME(v) FROM {ks}.items")
    assert_same_everywhere(seen, 23)


class KeyWriter(LiveWriter):
    """Inserts a new key per write at QUORUM and remembers the keys that were acknowledged."""

    def __init__(self, proxy, ks, first_key, threads=2):
        super().__init__(proxy, threads=threads, request_timeout=20)
        self.insert = self.session.prepare(f"INSERT INTO {ks}.kv (k, v) VALUES (?, ?)")
        self.insert.consistency_level = ConsistencyLevel.QUORUM
        self.keys = itertools.count(first_key)
        self.acked = []
        self._lock = threading.Lock()

    def write(self):
        with self._lock:
            k = next(self.keys)
        self.session.execute(self.insert, (k, f"v{k}"))
        with self._lock:
            self.acked.append(k)


def keys_on(session, ks):
    stmt = SimpleStatement(f"SELECT k FROM {ks}.kv", consistency_level=ConsistencyLevel.QUORUM,
                           fetch_size=5000)
    return {r.k for r in session.execute(stmt)}


def clients_on(name, host):
    """How many client connections node `host` serves (its system_views.clients)."""
    cluster, session = node_session(name, host)
    try:
        return len(list(session.execute("SELECT address FROM system_views.clients")))
    finally:
        cluster.shutdown()


def node_down_under_load(direct, proxy, name, index, ks, stop):
    """Writers through the proxy while node `index` of cluster `name` goes down (stop(pid)) and
    comes back 30 s later; returns the writers after the load ended, and the writes each had
    acknowledged while the node was down."""
    make_keyspace(direct, ks)
    direct["source"].execute(f"CREATE TABLE {ks}.kv (k int PRIMARY KEY, v text)")
    direct["target"].execute(f"CREATE TABLE {ks}.kv (k int PRIMARY KEY, v text)")
    ring_health.settle()
    label = name if index == 1 else f"{name}:{index}"
    closed_before = metric(proxy, "tandem_client_connections_closed_total")
    writers = [KeyWriter(proxy, ks, i * 10 ** 6) for i in range(3)]  # 6 connections, every node
    for w in writers:
        w.__enter__()
    try:
        time.sleep(3)
        stop(cassandra_pid(name if index == 1 else f"{name}{index}"))
        at_stop = [w.writes for w in writers]
        time.sleep(30)
        during = [w.writes - n for w, n in zip(writers, at_stop)]
        subprocess.run([CLUSTERS, "start", label], check=True, timeout=300, capture_output=True)
        time.sleep(5)
        closed = metric(proxy, "tandem_client_connections_closed_total") - closed_before
    finally:
        for w in writers:
            w.__exit__(None, None, None)
    assert closed == 0, f"the proxy disconnected {closed} client connections"
    return writers, during


def test_a_source_node_killed_under_load_fails_only_its_requests_in_flight(direct, proxy):
    ks = "tandem_mn_kill"
    failovers = metric(proxy, "tandem_source_failovers_total")
    writers, during = node_down_under_load(direct, proxy, "source", 2, ks,
                                           lambda pid: os.kill(pid, signal.SIGKILL))
    errors, answered = proxy_failures(writers)
    threads = sum(len(w._threads) for w in writers)
    assert len(errors) <= threads, f"{len(errors)} failed writes (at most {threads} in flight): {errors[:5]}"
    assert all(n > 100 for n in during), f"writes acknowledged while the node was down: {during}"
    assert metric(proxy, "tandem_source_failovers_total") > failovers
    acked = {k for w in writers for k in w.acked}
    assert not acked - keys_on(direct["source"], ks)
    deadline = time.monotonic() + 120
    while acked - keys_on(direct["target"], ks) and time.monotonic() < deadline:
        time.sleep(1)
    missing = acked - keys_on(direct["target"], ks)
    assert not missing, f"{len(missing)} acknowledged writes missing on the target " \
        f"({len(answered)} timeouts answered by Cassandra: {answered[:3]})"
    # Back in rotation: new clients' source connections reach the restarted node again (once the
    # proxy has heard it is up: its UP event or the health check, later on a loaded machine).
    node2 = hosts("source")[1]
    before = clients_on("source", node2)
    opened = []
    deadline = time.monotonic() + 60
    try:
        while True:
            opened.append(proxy.connect())
            opened[-1][1].execute("SELECT k FROM " + ks + ".kv LIMIT 1")
            now = clients_on("source", node2)
            if now > before or time.monotonic() > deadline:
                break
            time.sleep(2)
        assert now > before, f"{len(opened)} new clients, none with a connection to {node2}"
    finally:
        for cluster, _ in opened:
            cluster.shutdown()


def proxy_failures(writers):
    """The writers' errors split in two: those the proxy gave (a request lost with its node's
    connection, no answer at all), and write timeouts a live coordinator answered itself, which
    the proxy relays as they are (a node that paused for 10 s on a machine at load 9 in CI
    answers those to QUORUM writes with one replica of three down)."""
    errors = [e for w in writers for e in w.errors]
    answered = [e for e in errors if e.startswith("WriteTimeout(") and "code=1100" in e]
    return [e for e in errors if e not in answered], answered


def test_a_target_node_stopped_under_load_loses_no_acknowledged_write(direct, proxy):
    ks = "tandem_mn_target"
    writers, during = node_down_under_load(
        direct, proxy, "target", 2, ks,
        lambda pid: subprocess.run([CLUSTERS, "stop", "target:2"], check=True, timeout=120,
                                   capture_output=True))
    errors, _ = proxy_failures(writers)
    threads = sum(len(w._threads) for w in writers)
    assert len(errors) <= threads, f"{len(errors)} failed writes: {errors[:5]}"
    assert all(n > 100 for n in during), f"writes acknowledged while the node was down: {during}"
    acked = {k for w in writers for k in w.acked}
    deadline = time.monotonic() + 120  # the journal replays what the target refused
    while acked - keys_on(direct["target"], ks) and time.monotonic() < deadline:
        time.sleep(1)
    missing = acked - keys_on(direct["target"], ks)
    assert not missing, f"{len(missing)} acknowledged writes missing on the target"


BACKFILL_KS = "tandem_bf"
BACKFILL_TABLES = ("users", "events", "wide", "keyonly", "counts")


def backfill_env(job):
    return {"TANDEM_BACKFILL_KEYSPACES": BACKFILL_KS, "TANDEM_BACKFILL_JOB": job,
            "TANDEM_SOURCE_CONTACT_POINTS": ",".join(hosts("source")),
            "TANDEM_TARGET_CONTACT_POINTS": ",".join(hosts("target"))}


def assert_backfilled_equal(direct):
    for table in BACKFILL_TABLES:
        diffs, rows = backfill_compare.compare(direct["source"], direct["target"], BACKFILL_KS,
                                               table, ttl_slack=180)
        assert rows > 0 and not diffs, f"{table}: {len(diffs)} differences, {[d.detail for d in diffs[:5]]}"


def test_backfill_over_the_ring_covers_every_token_once_and_ends_equal(direct):
    ks = BACKFILL_KS
    load = subprocess.run([sys.executable, str(REPO_ROOT / "tools" / "backfill_fixture.py"), "--host",
                           hosts("source")[0], "--scale", "0.1", "--replication-factor", "3"],
                          capture_output=True, text=True, timeout=900, env=dict(os.environ))
    assert load.returncode == 0, load.stdout + load.stderr
    direct["target"].execute(f"DROP KEYSPACE IF EXISTS {ks}")
    direct["target"].execute(f"CREATE KEYSPACE {ks} WITH replication = "
                             "{'class': 'SimpleStrategy', 'replication_factor': 2}")
    job = f"multinode{os.getpid()}"
    env = backfill_env(job)
    schema = run_tandem(["schema", "apply"], env=env, timeout=300)
    assert schema.returncode == 0, schema.stdout + schema.stderr
    ring_health.settle()
    run = run_tandem(["backfill", "--no-progress-bar", "--keyspace", ks], env=env, timeout=1200)
    assert run.returncode == 0, run.stdout + run.stderr
    # Every unit read from a replica of its range (the ring probed from the source).
    read = re.search(r"backfill: (\d+) units read through a replica of their range, (\d+) "
                     r"through another node", run.stderr)
    assert read, run.stderr
    assert int(read.group(1)) > 0 and int(read.group(2)) == 0, read.group(0)
    for table in BACKFILL_TABLES:
        ranges = sorted((r.range_start, r.range_end) for r in direct["target"].execute(
            "SELECT range_start, range_end FROM tandem.backfill_units WHERE job = %s "
            "AND keyspace_name = %s AND table_name = %s", (job, ks, table)))
        assert ranges, f"no units for {table}"
        assert ranges[0][0] == -2 ** 63 and ranges[-1][1] == 2 ** 63 - 1, ranges[:2]
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:])), "a gap or an overlap"
        assert sum(e - s for s, e in ranges) == RING - 1
    assert_backfilled_equal(direct)


def test_a_source_node_killed_during_the_backfill_leaves_the_copy_to_its_replicas(direct):
    """Done-means 5, second half: source node 3 killed while the backfill runs (LOCAL_QUORUM
    reads, RF 3: two replicas of every range stay); the backfill finishes and both are equal."""
    for table in BACKFILL_TABLES:
        direct["target"].execute(f"TRUNCATE {BACKFILL_KS}.{table}")
    env = backfill_env(f"mn_kill{os.getpid()}")
    env["TANDEM_BACKFILL_MAX_ROWS_PER_SECOND"] = "4000"  # long enough to be killed halfway
    run = start_tandem(["backfill", "--no-progress-bar", "--keyspace", BACKFILL_KS], env=env)
    try:
        deadline = time.monotonic() + 120
        done = 0
        while time.monotonic() < deadline and run.poll() is None:
            done = list(direct["target"].execute(
                "SELECT count(*) FROM tandem.backfill_units WHERE job = %s AND state = 'done' "
                "ALLOW FILTERING", (env["TANDEM_BACKFILL_JOB"],)))[0][0]
            if done >= 3:
                break
            time.sleep(0.2)
        assert run.poll() is None, "the backfill ended before a node could be killed: " + run.stdout.read()
        assert done >= 3, "no unit finished in 120 s"
        os.kill(cassandra_pid("source3"), signal.SIGKILL)
        out, _ = run.communicate(timeout=900)
    finally:
        if run.poll() is None:
            run.kill()
        subprocess.run([CLUSTERS, "start", "source:3"], check=True, timeout=300, capture_output=True)
    assert run.returncode == 0, out
    assert "backfill: finished" in out, out
    # The killed node's ranges were read through the other replicas: a connection to it was
    # opened again elsewhere, or a unit that wanted it found it unreachable.
    assert ("lost its source connection and went on with another node" in out
            or ("could not reach source node(s)" in out and hosts("source")[2] in out)), out
    assert_backfilled_equal(direct)
