"""Issue 3, done-means 3: now(), uuid() and the other nondeterministic functions in PREPARED
writes give identical values on both clusters. The proxy prepares each call as an extra typed
bind marker and supplies one value for both clusters at each EXECUTE; the driver sees only the
markers it wrote. (The text form is in test_proxy_writes.py.)"""

import datetime

import pytest
from cassandra.query import BatchStatement, BatchType

from conftest import mirrored, recreate_keyspace
from proxy_process import ProxyProcess

PORT = 9153


@pytest.fixture(scope="module")
def proxy():
    p = ProxyProcess(port=PORT, yaml_text=f"  instances: [\"127.0.0.1:{PORT}\"]\n").start()
    yield p
    p.stop()


def both(direct, cql):
    """Sorted rows of cql on each cluster, once they agree (conftest.mirrored)."""
    return mirrored(lambda s: sorted(s.execute(cql)), direct)


@pytest.mark.parametrize("version", [3, 4, 5])
def test_prepared_now_and_uuid_are_identical_on_both_clusters(proxy, direct, version):
    ks = f"tandem_fn_v{version}"
    cluster, session = proxy.connect(version)
    try:
        recreate_keyspace(session, ks)
        session.execute(f"CREATE TABLE {ks}.events (k int PRIMARY KEY, t timeuuid, u uuid, "
                        "ts timestamp, d date, v text)")
        session.execute(f"CREATE TABLE {ks}.log (id timeuuid PRIMARY KEY, v text)")

        # Calls between the client's markers: the values go at the right positions.
        insert = session.prepare(f"INSERT INTO {ks}.events (k, t, u, ts, d, v) VALUES "
                                 "(?, now(), uuid(), toTimestamp(now()), currentDate(), ?)")
        assert [c.name for c in insert.column_metadata] == ["k", "v"]
        for k in range(5):
            session.execute(insert, (k, f"v{k}"))

        # Named markers.
        named = session.prepare(f"UPDATE {ks}.events SET t = now(), v = :v WHERE k = :k")
        assert sorted(c.name for c in named.column_metadata) == ["k", "v"]
        session.execute(named, {"k": 10, "v": "named"})

        # The partition key itself is a call.
        log = session.prepare(f"INSERT INTO {ks}.log (id, v) VALUES (now(), ?)")
        assert [c.name for c in log.column_metadata] == ["v"]
        for i in range(3):
            session.execute(log, (f"entry {i}",))

        # A batch mixing a prepared child and a text child that both call now().
        batch = BatchStatement(batch_type=BatchType.LOGGED)
        batch.add(insert, (20, "batched"))
        batch.add(f"INSERT INTO {ks}.log (id, v) VALUES (now(), 'batched text')")
        session.execute(batch)
    finally:
        cluster.shutdown()

    source, target = both(direct, f"SELECT k, t, u, ts, d, v, WRITETIME(v) FROM {ks}.events")
    assert len(source) == 7
    assert source == target
    assert len({row.t for row in source}) == 7  # a fresh value at every EXECUTE
    assert all(row.t.version == 1 and row.t is not None for row in source)
    assert all(row.u.version == 4 for row in source if row.u is not None)
    today = datetime.datetime.now(datetime.timezone.utc).date()
    assert all(abs((row.d.date() - today).days) <= 1 for row in source if row.d is not None)

    source, target = both(direct, f"SELECT id, v FROM {ks}.log")
    assert len(source) == 4
    assert source == target


def test_an_unprepared_rewritten_statement_is_prepared_again_invisibly(proxy, direct):
    """The target forgets its prepared statements (they are dropped with the table):
    the proxy re-prepares the rewritten text and the values still match."""
    cluster, session = proxy.connect(4)
    ks = "tandem_fn_reprepare"
    try:
        recreate_keyspace(session, ks)
        session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, t timeuuid)")
        insert = session.prepare(f"INSERT INTO {ks}.t (k, t) VALUES (?, now())")
        session.execute(insert, (1,))
        # Cassandra drops a table's prepared statements when the table is altered.
        direct["target"].execute(f"ALTER TABLE {ks}.t ADD extra text")
        direct["source"].execute(f"ALTER TABLE {ks}.t ADD extra text")
        session.execute(insert, (2,))
    finally:
        cluster.shutdown()
    source, target = both(direct, f"SELECT k, t FROM {ks}.t")
    assert len(source) == 2
    assert source == target
