"""Issue 14: the journal. While the target is paused (SIGSTOP) the proxy keeps answering
clients, journals what the target did not confirm and replays it once the target is back, so
both clusters end equal cell by cell with their WRITETIME; a proxy killed with kill -9 replays
its journal when started again; a torn last record is dropped and counted."""

import itertools
import json
import os
import signal
import time
from pathlib import Path

from cassandra.policies import FallthroughRetryPolicy
from cassandra.query import BatchStatement, SimpleStatement

from admin_http import admin_ok, metric
from browser import run_check
import pytest

from conftest import (cluster_paused, create_keyspace, forget_journal_facts, target_paused,
                      target_stopped, wait_until)
from live_writer import LiveWriter
from proxy_process import ProxyProcess, run_tandem

PORT = 9172
KS = "tandem_journal"
PAUSE_SECONDS = 30
WRITER_THREADS = 6  # sync writes on one session: how many the writer has in flight
TIMEOUTS = ("target:\n  request_timeout: 2s\n  heartbeat_interval: 1s\n"
            "source:\n  request_timeout: 5s\n")


@pytest.fixture(autouse=True, scope="module")
def journal_facts_forgotten(direct):
    """What these proxies' journals recorded on the target stays out of later tests' gates."""
    yield
    forget_journal_facts(direct["target"])


def start_proxy(journal_dir, **env):
    """A proxy journaling into journal_dir, with `env` (TANDEM_* variables) on top."""
    return ProxyProcess(port=PORT, yaml_text=f"  instances: [\"127.0.0.1:{PORT}\"]\n" + TIMEOUTS,
                        env={"TANDEM_JOURNAL_DIR": str(journal_dir), **env}).start()


class MixedWriter(LiveWriter):
    """Writes ever new rows of `table` through the proxy: prepared, unprepared, a batch of two,
    half of them with the driver's client timestamp and half with the proxy's."""

    def __init__(self, proxy, table):
        super().__init__(proxy, threads=WRITER_THREADS, request_timeout=30,
                         retry_policy=FallthroughRetryPolicy())
        self.table = table
        self.insert = self.session.prepare(f"INSERT INTO {KS}.{table} (k, c, v) VALUES (?, ?, ?)")
        self.next = itertools.count()
        # Half the writes carry the driver's client timestamp, half get the proxy's: two sessions
        # of one cluster, as use_client_timestamp is a session's setting.
        self.proxy_timestamps = self.cluster.connect()
        self.proxy_timestamps.use_client_timestamp = False

    def write(self):
        n = next(self.next)
        session = self.session if n % 2 == 0 else self.proxy_timestamps
        kind = n % 3
        if kind == 0:
            session.execute(self.insert, (n, 0, f"prepared {n}"), timeout=30)
        elif kind == 1:
            session.execute(SimpleStatement(
                f"INSERT INTO {KS}.{self.table} (k, c, v) VALUES ({n}, 0, 'text {n}')"), timeout=30)
        else:
            batch = BatchStatement()
            batch.add(self.insert, (n, 0, f"batch {n}"))
            batch.add(self.insert, (n, 1, f"batch {n}"))
            session.execute(batch, timeout=30)


def make_table(direct, table):
    """`table` new on both clusters, made directly: the proxy's own target timeout (2 s here)
    is shorter than a schema change takes on a node just restarted by the test before."""
    for session in (direct["source"], direct["target"]):
        create_keyspace(session, KS)
        session.execute(f"DROP TABLE IF EXISTS {KS}.{table}", timeout=120)
        session.execute(f"CREATE TABLE {KS}.{table} (k int, c int, v text, PRIMARY KEY (k, c))",
                        timeout=120)


def cells(session, table):
    """Every cell of `table` with its writetime, read directly; waits up to 60 s for a session
    whose node was restarted to connect again."""
    from cassandra.cluster import NoHostAvailable
    deadline = time.monotonic() + 60
    while True:
        try:
            return sorted(session.execute(f"SELECT k, c, v, WRITETIME(v) AS wt FROM {KS}.{table}"))
        except NoHostAvailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def wait_drained(proxy, seconds=180):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if admin_ok(proxy, "/api/v1/journal")["pending"] == 0:
            return True
        time.sleep(0.5)
    return False


def screenshot_path(tmp_path, name):
    out_dir = Path(os.environ.get("TANDEM_TEST_OUTPUT", tmp_path))
    out_dir.mkdir(parents=True, exist_ok=True)
    return out_dir / name


def writes_through_an_outage(direct, proxy, table, outage, during=None):
    """MixedWriter on a new `table` through the proxy, PAUSE_SECONDS of them inside the
    `outage()` context (`during()` called halfway, its answer returned); asserts that no client
    write failed, that writes went on and were journaled, and that the journal drains by itself.
    Returns (the writer, during()'s answer, seconds from the outage's end to an empty journal)."""
    make_table(direct, table)
    with MixedWriter(proxy, table) as w:
        while w.writes < 50:
            time.sleep(0.1)
        before = w.writes
        with outage():
            started = time.monotonic()
            time.sleep(PAUSE_SECONDS / 2)
            seen = during() if during else None
            time.sleep(max(0.0, PAUSE_SECONDS - (time.monotonic() - started)))
            count = w.writes - before
            pending = admin_ok(proxy, "/api/v1/journal")["pending"]
        resumed = time.monotonic()
        time.sleep(2)
    assert w.errors == [], w.errors[:5]
    assert count > 100, f"only {count} writes went through during the outage"
    assert pending > 0, "nothing was journaled during the outage"
    assert wait_drained(proxy), admin_ok(proxy, "/api/v1/journal")
    drained = time.monotonic() - resumed
    print(f"{table}: journal drained {drained:.1f} s after the outage ended "
          f"({pending} records pending at its end, {w.writes} writes in all)")
    journal = admin_ok(proxy, "/api/v1/journal")
    assert journal["replayed"] > 0 and journal["dead_lettered"] == 0, journal
    assert metric(proxy, "tandem_journal_pending_records") == 0
    return w, seen, drained


def assert_equal_cells(direct, table, writes):
    source, target = cells(direct["source"], table), cells(direct["target"], table)
    assert len(source) >= writes
    assert source == target, [r for r in source if r not in target][:3]


def test_writes_during_a_target_pause_are_journaled_and_replayed(direct, tmp_path):
    """Done-means 1, and 8: the status page's Journal panel in chromium shows the pending
    records during the pause and an empty journal after the drain."""
    proxy = start_proxy(tmp_path / "journal")
    try:
        def panel():
            return run_check("journal_panel_check.mjs", proxy.admin_url(""),
                             screenshot_path(tmp_path, "journal-paused.png"))
        w, (code, paused_page), _ = writes_through_an_outage(direct, proxy, "paused",
                                                             target_paused, panel)
        assert code == 0 and paused_page["ok"], paused_page
        shown = int(paused_page["panel"]["pending"].replace(",", ""))
        assert shown > 0 and paused_page["api_pending"] > 0, paused_page
        code, drained_page = run_check("journal_panel_check.mjs", proxy.admin_url(""),
                                       screenshot_path(tmp_path, "journal-drained.png"))
        assert code == 0 and drained_page["panel"]["pending"] == "0", drained_page
        assert drained_page["panel"]["eta"] == "empty", drained_page
    finally:
        proxy.stop()
    assert_equal_cells(direct, "paused", w.writes)


def test_writes_while_the_target_is_stopped_are_replayed_once_it_is_started(direct, tmp_path):
    """Done-means 2: the target's process ends (its connections close) and starts again."""
    proxy = start_proxy(tmp_path / "journal")
    try:
        w, _, _ = writes_through_an_outage(direct, proxy, "stopped", target_stopped)
    finally:
        proxy.stop()
    assert_equal_cells(direct, "stopped", w.writes)


def test_after_the_flip_the_journal_keeps_what_the_source_missed(direct, tmp_path):
    """With reads flipped to the target, the target is the primary: writes the paused source
    missed are journaled and replayed to it, so a roll-back (flipping back) loses nothing."""
    proxy = start_proxy(tmp_path / "journal")
    try:
        admin_ok(proxy, "/api/v1/routing", {"primary": "target"})
        w, _, _ = writes_through_an_outage(direct, proxy, "flipped",
                                           lambda: cluster_paused("source"))
        assert admin_ok(proxy, "/api/v1/journal")["replayed"] > 0
    finally:
        proxy.stop()
    assert_equal_cells(direct, "flipped", w.writes)


def test_a_killed_proxy_replays_its_journal_and_drops_a_torn_record(direct, tmp_path):
    """Done-means 3 and 4: kill -9 while the target is stopped, the last record torn on disk,
    the proxy and then the target started again."""
    journal_dir = tmp_path / "journal"
    proxy = start_proxy(journal_dir)
    make_table(direct, "killed")
    try:
        with target_stopped():  # done-means 3: the target is down, not only paused
            cluster, session = proxy.connect(4, request_timeout=30,
                                             retry_policy=FallthroughRetryPolicy())
            insert = session.prepare(f"INSERT INTO {KS}.killed (k, c, v) VALUES (?, ?, ?)")
            for k in range(200):
                session.execute(insert, (k, 0, f"before the kill {k}"))
            cluster.shutdown()
            assert admin_ok(proxy, "/api/v1/journal")["pending"] >= 200
            proxy.process.send_signal(signal.SIGKILL)
            proxy.process.wait()
            # The last record torn in the middle, as a crash in its write would leave it.
            segments = sorted(Path(journal_dir).glob("segment-*.tj"))
            assert segments, "no journal segment on disk"
            last = segments[-1]
            os.truncate(last, last.stat().st_size - 7)
            proxy = start_proxy(journal_dir)
            journal = admin_ok(proxy, "/api/v1/journal")
            assert journal["torn_dropped"] == 1, journal
            assert journal["recovered"] >= 199, journal
        assert wait_drained(proxy), admin_ok(proxy, "/api/v1/journal")
    finally:
        proxy.stop()
    source, target = cells(direct["source"], "killed"), cells(direct["target"], "killed")
    assert len(source) == 200
    # Everything but the record torn on purpose is on the target, with the same writetime.
    missing = [row for row in source if row not in target]
    assert len(missing) <= 1, missing[:3]
    assert all(row in source for row in target)


def not_replayed(missing):
    return sorted(m.split(":")[0] for m in missing if "was not replayed" in m)


def test_a_counter_update_and_a_list_append_the_target_missed_mark_their_tables_until_validated(
        direct, tmp_path):
    """Done-means 7: neither is replayed (each would apply twice); both tables are marked, on the
    target too (so `tandem cutover check` names them), until a validation of each is clean."""
    proxy = start_proxy(tmp_path / "journal")
    tables = [f"{KS}.hits", f"{KS}.lists"]
    try:
        # Made directly on both clusters (like make_table): through the proxy, a schema change
        # on a target just restarted by the test before can outlast the proxy's 2 s timeout.
        for direct_session in (direct["source"], direct["target"]):
            create_keyspace(direct_session, KS)
            direct_session.execute(f"CREATE TABLE IF NOT EXISTS {KS}.hits "
                                   "(k int PRIMARY KEY, n counter)", timeout=120)
            direct_session.execute(f"CREATE TABLE IF NOT EXISTS {KS}.lists "
                                   "(k int PRIMARY KEY, l list<int>)", timeout=120)
        cluster, session = proxy.connect(4, request_timeout=30,
                                         retry_policy=FallthroughRetryPolicy())
        try:
            add = session.prepare(f"UPDATE {KS}.hits SET n = n + ? WHERE k = 1")
            with target_paused():
                session.execute(add, (1,))
                session.execute(f"UPDATE {KS}.lists SET l = l + [7] WHERE k = 1")
                # The target stays paused until both copies have failed there (timed out after
                # target.request_timeout, 2 s) and the replayer has marked their tables: resumed
                # earlier, a paused target may still apply a copy and answer it in time.
                wait_until(lambda: len(admin_ok(proxy, "/api/v1/journal")
                                       ["tables_needing_validation"]) == 2, 30)
        finally:
            cluster.shutdown()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            journal = admin_ok(proxy, "/api/v1/journal")
            if journal["pending"] == 0 and len(journal["tables_needing_validation"]) == 2:
                break
            time.sleep(0.5)
        # The whole state on failure (pytest folds a dict: CI of stop 21 showed only 'appended': 2),
        # with the proxy's log, so a record left pending can be told from one never marked.
        assert sorted(journal["tables_needing_validation"]) == tables, (
            json.dumps(journal, indent=1) + "\n" + proxy.output_all()[-6000:])
        assert journal["replayed"] == 0, journal
        gate = admin_ok(proxy, "/api/v1/cutover")
        assert not gate["ready"] and not_replayed(gate["missing"]) == tables, gate
        # The marks are recorded on the target (every 2 s): the command-line gate sees them.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            check = run_tandem(["cutover", "check", "--json"], timeout=120)
            if not_replayed(json.loads(check.stdout)["missing"]) == tables:
                break
            time.sleep(1)
        assert not_replayed(json.loads(check.stdout)["missing"]) == tables, check.stdout
        # The target lacks the increment and the element: a repairing validation puts them back
        # and, being clean from a start after the marks, lifts them.
        repair = run_tandem(["validate", "--no-progress-bar", "--repair", "--table", tables[0],
                             "--table", tables[1]],
                            env={"TANDEM_VALIDATE_REPORT_DIR": str(tmp_path)}, timeout=300)
        assert repair.returncode == 0, repair.stdout + repair.stderr
        gate = admin_ok(proxy, "/api/v1/cutover")
        assert not_replayed(gate["missing"]) == [], gate
    finally:
        proxy.stop()
    for t in tables:
        read = f"SELECT * FROM {t} WHERE k = 1"
        assert list(direct["source"].execute(read)) == list(direct["target"].execute(read))


def test_a_full_journal_fails_the_writes_it_cannot_keep_and_loses_none_it_acknowledged(
        direct, tmp_path):
    """journal.on_full: fail_writes (the default) with journal.max_bytes at its 1MiB floor."""
    proxy = start_proxy(tmp_path / "journal", TANDEM_JOURNAL_MAX_BYTES="1MiB")
    acknowledged, refused = [], []
    try:
        make_table(direct, "filled")
        cluster, session = proxy.connect(4, request_timeout=30,
                                         retry_policy=FallthroughRetryPolicy())
        try:
            insert = session.prepare(f"INSERT INTO {KS}.filled (k, c, v) VALUES (?, 0, ?)")
            with target_paused():
                for k in range(4000):
                    try:
                        session.execute(insert, (k, "x" * 1000))
                        acknowledged.append(k)
                    except Exception as e:  # the full journal's error is what is tested
                        refused.append(repr(e))
                        if len(refused) >= 5:
                            break
        finally:
            cluster.shutdown()
        assert refused and all("journal.max_bytes reached" in r for r in refused), refused[:3]
        assert len(acknowledged) > 100
        assert wait_drained(proxy), admin_ok(proxy, "/api/v1/journal")
    finally:
        proxy.stop()
    on_target = {row.k for row in direct["target"].execute(f"SELECT k FROM {KS}.filled")}
    assert set(acknowledged) <= on_target, sorted(set(acknowledged) - on_target)[:10]


def test_a_full_journal_with_record_gap_keeps_clients_working_and_the_gate_names_the_gap(
        direct, tmp_path):
    proxy = start_proxy(tmp_path / "journal", TANDEM_JOURNAL_MAX_BYTES="1MiB",
                        TANDEM_JOURNAL_ON_FULL="record_gap")
    errors = []
    try:
        make_table(direct, "gapped")
        cluster, session = proxy.connect(4, request_timeout=30,
                                         retry_policy=FallthroughRetryPolicy())
        try:
            insert = session.prepare(f"INSERT INTO {KS}.gapped (k, c, v) VALUES (?, 0, ?)")
            with target_paused():
                k = 0
                while admin_ok(proxy, "/api/v1/journal")["gap_first_us"] == 0 and k < 4000:
                    for _ in range(100):
                        try:
                            session.execute(insert, (k, "x" * 1000))
                        except Exception as e:  # none expected: the test asserts on them
                            errors.append(repr(e))
                        k += 1
        finally:
            cluster.shutdown()
        journal = admin_ok(proxy, "/api/v1/journal")
        assert errors == [], errors[:3]
        assert journal["gap_first_us"] > 0, journal
        gate = admin_ok(proxy, "/api/v1/cutover")
        assert not gate["ready"]
        assert any("could not keep writes" in m for m in gate["missing"]), gate
    finally:
        proxy.stop()
