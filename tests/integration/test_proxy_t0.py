"""Issue 3: the proxy records T0, the timestamp of its first mirrored write, in the target's
state keyspace (DESIGN.md). The stored value only goes down: a later proxy keeps an earlier
T0, and a proxy whose first write is earlier than the stored one lowers it."""

import time

import pytest

from conftest import connect, create_keyspace, node_settings, wait_until
from proxy_process import ProxyProcess

STATE_KS = "tandem_t0_test"  # a keyspace of its own: other tests' proxies record in 'tandem'
PORT = 9152


@pytest.fixture(scope="module")
def target():
    cluster, session = connect(node_settings("target"), 4)
    yield session
    cluster.shutdown()


@pytest.fixture(scope="module")
def source():
    cluster, session = connect(node_settings("source"), 4)
    yield session
    cluster.shutdown()


def prepare_table(source, target):
    for s in (source, target):
        create_keyspace(s, "tandem_t0_data")
        s.execute("CREATE TABLE IF NOT EXISTS tandem_t0_data.t (k int PRIMARY KEY, v int)")
        s.execute("TRUNCATE tandem_t0_data.t")
    target.execute(f"DROP KEYSPACE IF EXISTS {STATE_KS}")


def stored_t0(target):
    rows = list(target.execute(f"SELECT value, updated_by FROM {STATE_KS}.migration_state "
                               "WHERE name = 't0'"))
    return rows[0] if rows else None


def wait_for_t0(target, expected_value, timeout=20.0):
    deadline = time.monotonic() + timeout
    row = None
    while time.monotonic() < deadline:
        try:
            row = stored_t0(target)
        except Exception:  # the keyspace does not exist yet
            row = None
        if row is not None and row.value == expected_value:
            return row
        time.sleep(0.2)
    raise AssertionError(f"T0 {expected_value} not recorded in {timeout}s; found {row}")


def write_through_proxy(key):
    """One mirrored INSERT without a client timestamp through a fresh proxy; returns the
    WRITETIME the proxy pinned (read back directly from the target)."""
    from cassandra.cluster import Cluster
    proxy = ProxyProcess(port=PORT, yaml_text=f"  instances: [\"127.0.0.1:{PORT}\"]\n",
                         env={"TANDEM_TARGET_STATE_KEYSPACE": STATE_KS}).start()
    try:
        cluster = Cluster(["127.0.0.1"], port=PORT, protocol_version=4)
        session = cluster.connect()
        session.execute("INSERT INTO tandem_t0_data.t (k, v) VALUES (%s, %s)", (key, key))
        cluster.shutdown()
        return proxy
    except Exception:
        proxy.stop()
        raise


def log_shows(proxy, text) -> bool:
    return wait_until(lambda: text in proxy.output_all(), 20)


def writetime(session, key, timeout=30.0):
    """The row's WRITETIME once it is there: in source_authoritative mode the client is answered
    when the source has the write, and the target's copy may still be in flight (CI of stop 21
    read the target before it landed)."""
    found = []

    def landed():
        row = session.execute("SELECT WRITETIME(v) FROM tandem_t0_data.t WHERE k = %s",
                              (key,)).one()
        if row is not None:
            found.append(row[0])
        return row is not None

    assert wait_until(landed, timeout), f"row {key} not in tandem_t0_data.t after {timeout}s"
    return found[-1]


def test_first_mirrored_write_is_recorded_and_only_an_earlier_one_replaces_it(source, target):
    prepare_table(source, target)

    # 1. No state yet: the proxy creates the keyspace and records its first write's timestamp.
    proxy = write_through_proxy(1)
    try:
        first = writetime(target, 1)
        assert first == writetime(source, 1)
        row = wait_for_t0(target, first)
        assert row.updated_by.startswith(f"tandem proxy 127.0.0.1:{PORT}")
        # The proxy logs the line after the row is stored, so the row can be seen first.
        assert log_shows(proxy, f"T0 {first} recorded"), proxy.output()
    finally:
        proxy.stop()

    # 2. A later proxy's first write does not move T0.
    proxy = write_through_proxy(2)
    try:
        second = writetime(target, 2)
        assert second > first
        assert log_shows(proxy, f"T0 {first} recorded"), proxy.output()
        assert f"this one's was {second}" in proxy.output_all(), proxy.output()
        assert stored_t0(target).value == first
    finally:
        proxy.stop()

    # 3. A stored T0 later than the proxy's first write (a clock set wrong, a restore) is lowered.
    target.execute(f"UPDATE {STATE_KS}.migration_state SET value = %s WHERE name = 't0'",
                   (second + 10**12,))
    proxy = write_through_proxy(3)
    try:
        third = writetime(target, 3)
        wait_for_t0(target, third)
    finally:
        proxy.stop()
