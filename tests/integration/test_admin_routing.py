"""Issue 4, done-means 1 and 2: the routing flip through POST /api/v1/routing on connections
opened before it (simple and prepared reads), paged reads that began before it, the choice kept
across a restart (routing.state_file), and shadow reads counting a mismatch in /metrics."""

import time

import pytest
from cassandra.query import SimpleStatement

from admin_http import admin_ok, metric
from conftest import create_keyspace
from proxy_process import ProxyProcess

PORT = 9160
KS = "tandem_flip"


@pytest.fixture
def state_file(tmp_path):
    return tmp_path / "routing.state"


def start_proxy(state_file):
    return ProxyProcess(port=PORT, yaml_text=f"  instances: [\"127.0.0.1:{PORT}\"]\n",
                        env={"TANDEM_ROUTING_STATE_FILE": str(state_file)}).start()


@pytest.fixture
def proxy_and_session(state_file):
    """A proxy with the test's routing state file and a session through it, keyspace KS made."""
    proxy = start_proxy(state_file)
    try:
        cluster, session = proxy.connect()
        try:
            create_keyspace(session, KS)
            yield proxy, session
        finally:
            cluster.shutdown()
    finally:
        proxy.stop()


def test_flip_reaches_open_connections_and_survives_a_restart(direct, state_file):
    proxy = start_proxy(state_file)
    cluster = None
    try:
        cluster, session = proxy.connect()
        create_keyspace(session, KS)
        session.execute(f"CREATE TABLE IF NOT EXISTS {KS}.kv (k int PRIMARY KEY, v text)")
        session.execute(f"TRUNCATE {KS}.kv")
        # Only on the target, written directly: invisible while the source is primary.
        direct["target"].execute(f"INSERT INTO {KS}.kv (k, v) VALUES (1, 'target only')")
        select = session.prepare(f"SELECT v FROM {KS}.kv WHERE k = ?")
        simple = f"SELECT v FROM {KS}.kv WHERE k = 1"
        assert session.execute(simple).one() is None
        assert session.execute(select, (1,)).one() is None

        status = admin_ok(proxy, "/api/v1/routing", {"primary": "target"})
        assert status["routing"]["primary"] == "target"
        assert session.execute(simple).one().v == "target only"
        assert session.execute(select, (1,)).one().v == "target only"

        admin_ok(proxy, "/api/v1/routing", {"primary": "source"})
        assert session.execute(simple).one() is None
        assert session.execute(select, (1,)).one() is None

        admin_ok(proxy, "/api/v1/routing", {"primary": "target"})
        assert state_file.read_text() == "primary=target\n"
        assert "routing: primary source -> target" in proxy.output_all()
    finally:
        if cluster:
            cluster.shutdown()
        proxy.stop()

    proxy = start_proxy(state_file)
    try:
        assert admin_ok(proxy, "/api/v1/status")["routing"]["primary"] == "target"
        cluster, session = proxy.connect()
        try:
            assert session.execute(f"SELECT v FROM {KS}.kv WHERE k = 1").one().v == "target only"
        finally:
            cluster.shutdown()
        admin_ok(proxy, "/api/v1/routing", {"primary": "source"})
    finally:
        proxy.stop()


def test_a_paged_read_begun_before_the_flip_finishes_on_its_cluster(direct, proxy_and_session):
    proxy, session = proxy_and_session
    try:
        session.execute(f"CREATE TABLE IF NOT EXISTS {KS}.pages (k int PRIMARY KEY, v int)")
        session.execute(f"TRUNCATE {KS}.pages")
        insert = session.prepare(f"INSERT INTO {KS}.pages (k, v) VALUES (?, ?)")
        for k in range(30):
            session.execute(insert, (k, k))
        time.sleep(0.5)  # the target's copies (source_authoritative) land
        result = session.execute(SimpleStatement(f"SELECT k FROM {KS}.pages", fetch_size=10))
        first_page = list(result.current_rows)
        assert len(first_page) == 10 and result.has_more_pages
        admin_ok(proxy, "/api/v1/routing", {"primary": "target"})
        keys = [r.k for r in first_page]
        while result.has_more_pages:
            result.fetch_next_page()
            keys.extend(r.k for r in result.current_rows)
        assert sorted(keys) == list(range(30))
        assert metric(proxy, "tandem_paged_reads_kept_total") >= 1
    finally:
        admin_ok(proxy, "/api/v1/routing", {"primary": "source"})


def test_shadow_reads_count_a_row_changed_on_the_target(direct, proxy_and_session):
    proxy, session = proxy_and_session
    session.execute(f"CREATE TABLE IF NOT EXISTS {KS}.shadow (k int PRIMARY KEY, v text)")
    session.execute(f"INSERT INTO {KS}.shadow (k, v) VALUES (1, 'same')")
    session.execute(f"INSERT INTO {KS}.shadow (k, v) VALUES (2, 'same')")
    time.sleep(0.5)
    status = admin_ok(proxy, "/api/v1/routing", {"shadow_reads": True, "sample": 1.0})
    assert status["routing"]["shadow_reads"] is True
    session.execute(f"SELECT v FROM {KS}.shadow WHERE k = 1")
    deadline = time.monotonic() + 10
    while metric(proxy, "tandem_shadow_reads_total") < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert metric(proxy, "tandem_shadow_reads_total") >= 1
    assert metric(proxy, "tandem_shadow_read_mismatches_total") == 0

    direct["target"].execute(f"UPDATE {KS}.shadow SET v = 'changed on the target' WHERE k = 2")
    select = session.prepare(f"SELECT v FROM {KS}.shadow WHERE k = ?")
    session.execute(select, (2,))
    deadline = time.monotonic() + 10
    while (metric(proxy, "tandem_shadow_read_mismatches_total") < 1
           and time.monotonic() < deadline):
        time.sleep(0.1)
    assert metric(proxy, "tandem_shadow_read_mismatches_total") == 1
    assert "shadow read mismatch" in proxy.output_all()
