"""Issue 3, done-means 1 and 3: writes through the proxy land on both clusters with identical
values and identical WRITETIME, for protocol v3/v4/v5 with and without compression; now() and
uuid() in mirrored writes give one value on both clusters."""

import uuid

import pytest
from cassandra.cluster import Cluster
from cassandra.query import BatchStatement, BatchType, SimpleStatement

from conftest import create_keyspace, mirrored, recreate_keyspace
from proxy_process import ProxyProcess

CASES = [(3, None), (4, None), (4, "lz4"), (4, "snappy"), (5, None), (5, "lz4")]


@pytest.fixture(scope="module")
def proxy():
    p = ProxyProcess().start()
    yield p
    p.stop()


def proxy_session(proxy, version, compression):
    return proxy.connect(version, request_timeout=20, compression=compression or False,
                         connect_timeout=10)


def rows_with_writetime(session, keyspace):
    rows = session.execute(f"SELECT k, c, v, WRITETIME(v) AS wt FROM {keyspace}.kv")
    return sorted((r.k, r.c, r.v, r.wt) for r in rows)


@pytest.mark.parametrize("version,compression", CASES,
                         ids=[f"v{v}-{c or 'plain'}" for v, c in CASES])
def test_writes_reach_both_clusters_with_the_same_writetime(proxy, direct, version, compression):
    keyspace = f"tandem_w_v{version}_{compression or 'plain'}"
    cluster, session = proxy_session(proxy, version, compression)
    try:
        recreate_keyspace(session, keyspace)
        session.execute(f"CREATE TABLE {keyspace}.kv (k int, c int, v text, PRIMARY KEY (k, c))")
        insert = session.prepare(f"INSERT INTO {keyspace}.kv (k, c, v) VALUES (?, ?, ?)")
        for use_client_timestamp in (True, False):
            session.use_client_timestamp = use_client_timestamp
            k = 1 if use_client_timestamp else 2
            session.execute(f"INSERT INTO {keyspace}.kv (k, c, v) VALUES ({k}, 1, 'simple')")
            session.execute(SimpleStatement(
                f"INSERT INTO {keyspace}.kv (k, c, v) VALUES (%s, %s, %s)"), (k, 2, "bound"))
            session.execute(insert, (k, 3, "prepared"))
            for i, batch_type in enumerate((BatchType.LOGGED, BatchType.UNLOGGED)):
                batch = BatchStatement(batch_type=batch_type)
                batch.add(insert, (k, 10 + i, f"batch-prepared-{i}"))
                batch.add(SimpleStatement(
                    f"INSERT INTO {keyspace}.kv (k, c, v) VALUES ({k}, {20 + i}, 'batch-text-{i}')"))
                session.execute(batch)
            session.execute(f"UPDATE {keyspace}.kv SET v = 'updated' WHERE k = {k} AND c = 2")
        session.execute(f"INSERT INTO {keyspace}.kv (k, c, v) VALUES (3, 1, 'explicit') "
                        "USING TIMESTAMP 1234567")
        through_proxy = sorted((r.k, r.c, r.v) for r in session.execute(f"SELECT k, c, v FROM {keyspace}.kv"))
    finally:
        cluster.shutdown()

    source_rows, target_rows = mirrored(lambda s: rows_with_writetime(s, keyspace), direct)
    assert len(source_rows) == 15
    assert source_rows == target_rows
    assert [r[:3] for r in source_rows] == through_proxy
    assert (3, 1, "explicit", 1234567) in source_rows


@pytest.mark.parametrize("version", [4, 5])
def test_now_and_uuid_in_text_writes_are_identical_on_both_clusters(proxy, direct, version):
    keyspace = f"tandem_nd_v{version}"
    cluster, session = proxy_session(proxy, version, None)
    try:
        recreate_keyspace(session, keyspace)
        session.execute(f"CREATE TABLE {keyspace}.events (k int PRIMARY KEY, t timeuuid, u uuid, "
                        "ts timestamp)")
        session.execute(f"INSERT INTO {keyspace}.events (k, t, u, ts) "
                        "VALUES (1, now(), uuid(), toTimestamp(now()))")
    finally:
        cluster.shutdown()
    source, target = mirrored(
        lambda s: s.execute(f"SELECT t, u, ts FROM {keyspace}.events WHERE k = 1").one(), direct)
    assert source is not None and target is not None
    assert source == target
    assert source.t.version == 1 and source.u.version == 4


def test_conditional_insert_answers_from_the_source(proxy, direct):
    cluster, session = proxy_session(proxy, 4, None)
    try:
        create_keyspace(session, "tandem_lwt")
        session.execute("CREATE TABLE IF NOT EXISTS tandem_lwt.kv (k int PRIMARY KEY, v text)")
        session.execute("TRUNCATE tandem_lwt.kv")
        first = session.execute("INSERT INTO tandem_lwt.kv (k, v) VALUES (1, 'a') IF NOT EXISTS").one()
        second = session.execute("INSERT INTO tandem_lwt.kv (k, v) VALUES (1, 'b') IF NOT EXISTS").one()
    finally:
        cluster.shutdown()
    assert first[0] is True
    assert second[0] is False
    assert mirrored(lambda s: s.execute("SELECT v FROM tandem_lwt.kv WHERE k = 1").one(),
                    direct) == (("a",), ("a",))


def test_drivers_see_only_the_proxy_in_their_metadata(proxy):
    cluster, session = proxy_session(proxy, 4, None)
    try:
        hosts = {(h.endpoint.address, h.endpoint.port) for h in cluster.metadata.all_hosts()}
        local = session.execute("SELECT rpc_address, data_center FROM system.local").one()
    finally:
        cluster.shutdown()
    assert hosts == {(proxy.host, proxy.port)}
    assert str(local.rpc_address) == proxy.host
    assert local.data_center == "datacenter1"


def test_with_two_proxy_instances_a_driver_uses_both():
    instances = "  instances: [\"127.0.0.1:9142\", \"127.0.0.1:9143\"]\n"
    first = ProxyProcess(yaml_text=instances, port=9142).start()
    second = ProxyProcess(yaml_text=instances, port=9143).start()
    try:
        cluster = Cluster(["127.0.0.1"], port=9142, protocol_version=5, connect_timeout=10)
        session = cluster.connect()
        try:
            hosts = {(h.endpoint.address, h.endpoint.port) for h in cluster.metadata.all_hosts()}
            used = set()
            for _ in range(40):
                rs = session.execute("SELECT release_version FROM system.local")
                used.add(rs.response_future._current_host.endpoint.port)
        finally:
            cluster.shutdown()
    finally:
        failures = []
        for p in (first, second):
            try:
                p.stop()
            except RuntimeError as e:  # stop both, then report
                failures.append(e)
        if failures:
            raise failures[0]
    assert hosts == {("127.0.0.1", 9142), ("127.0.0.1", 9143)}
    assert used == {9142, 9143}


def test_cqlsh_writes_and_reads_through_the_proxy(proxy, direct):
    import subprocess

    from conftest import cqlsh_path

    script = ("CREATE KEYSPACE IF NOT EXISTS tandem_cqlsh WITH replication = "
              "{'class': 'SimpleStrategy', 'replication_factor': 1};"
              "CREATE TABLE IF NOT EXISTS tandem_cqlsh.kv (k int PRIMARY KEY, v text);"
              "INSERT INTO tandem_cqlsh.kv (k, v) VALUES (7, 'from cqlsh');"
              "SELECT v FROM tandem_cqlsh.kv WHERE k = 7;")
    out = subprocess.run([cqlsh_path(), proxy.host, str(proxy.port), "-e", script],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "from cqlsh" in out.stdout
    source, target = mirrored(lambda s: s.execute(
        "SELECT v, WRITETIME(v) AS wt FROM tandem_cqlsh.kv WHERE k = 7").one(), direct)
    assert source.v == "from cqlsh"
    assert source == target


def test_a_counter_increments_on_both_clusters(proxy, direct):
    cluster, session = proxy_session(proxy, 4, None)
    try:
        create_keyspace(session, "tandem_counter")
        session.execute("CREATE TABLE IF NOT EXISTS tandem_counter.hits (k int PRIMARY KEY, n counter)")
        before = {name: (direct[name].execute("SELECT n FROM tandem_counter.hits WHERE k = 1").one()
                         or type("r", (), {"n": 0})).n for name in ("source", "target")}
        add = session.prepare("UPDATE tandem_counter.hits SET n = n + ? WHERE k = 1")
        session.execute("UPDATE tandem_counter.hits SET n = n + 2 WHERE k = 1")
        session.execute(add, (3,))
    finally:
        cluster.shutdown()
    def added(s):
        name = "source" if s is direct["source"] else "target"
        return s.execute("SELECT n FROM tandem_counter.hits WHERE k = 1").one().n - before[name]

    assert mirrored(added, direct) == (5, 5)


def test_use_then_unqualified_statements_and_schema_events(proxy, direct):
    import time

    watcher, _ = proxy_session(proxy, 4, None)  # learns of schema changes by events only
    cluster, session = proxy_session(proxy, 5, None)
    try:
        create_keyspace(session, "tandem_use")
        session.execute("USE tandem_use")
        table = "t_" + uuid.uuid4().hex[:12]  # new each run: the watcher cannot know it already
        session.execute(f"CREATE TABLE {table} (k int PRIMARY KEY, v text)")
        session.execute(f"INSERT INTO {table} (k, v) VALUES (1, 'unqualified')")
        prepared = session.prepare(f"SELECT v FROM {table} WHERE k = ?")
        assert session.execute(prepared, (1,)).one().v == "unqualified"
        # The other driver learns of the new table from the SCHEMA_CHANGE event the proxy
        # forwards from the primary on its control connection (REGISTER).
        deadline = time.monotonic() + 20
        seen = False
        while time.monotonic() < deadline and not seen:
            ks = watcher.metadata.keyspaces.get("tandem_use")
            seen = ks is not None and table in ks.tables
            time.sleep(0.1)
        assert seen, "no schema event reached the second driver"
    finally:
        cluster.shutdown()
        watcher.shutdown()
    source, target = mirrored(
        lambda s: s.execute(f"SELECT v FROM tandem_use.{table} WHERE k = 1").one(), direct)
    assert source.v == "unqualified"
    assert source == target


def test_strict_mode_prepared_writes_are_on_both_clusters_when_the_client_is_answered(direct):
    """write_ack: strict on the callback path (issue 17, mirror_now): the client's answer waits
    for both clusters, so each row is on the target as soon as the driver has its answer — read
    at once, not through mirrored() — with the source's WRITETIME. (A target that fails in
    strict mode: test_proxy_target_outage.py.)"""
    keyspace = "tandem_w_strict"
    for s in (direct["source"], direct["target"]):
        recreate_keyspace(s, keyspace)
        s.execute(f"CREATE TABLE {keyspace}.kv (k int PRIMARY KEY, v text)")
    proxy = ProxyProcess(port=9152, yaml_text="routing:\n  write_ack: strict\n").start()
    try:
        cluster, session = proxy_session(proxy, 4, None)
        try:
            insert = session.prepare(f"INSERT INTO {keyspace}.kv (k, v) VALUES (?, ?)")
            select = f"SELECT v, WRITETIME(v) AS wt FROM {keyspace}.kv WHERE k = %s"
            for k in range(100):
                session.execute(insert, (k, f"v{k}"))
                on_source = list(direct["source"].execute(select, (k,)))
                on_target = list(direct["target"].execute(select, (k,)))
                assert len(on_target) == 1, f"row {k} not on the target when the client was answered"
                assert on_source == on_target
                assert on_target[0].v == f"v{k}"
        finally:
            cluster.shutdown()
    finally:
        proxy.stop()
