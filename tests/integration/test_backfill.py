"""Issue 5, done-means 1-4: the backfill against the real clusters.

The fixture (tools/backfill_fixture.py, 200,000 rows over five tables) is loaded DIRECTLY into
the source. While a writer updates and deletes random rows THROUGH the proxy, `tandem backfill`
copies the tables; afterwards both clusters, read directly, hold the same rows and cells with
the same WRITETIME (TTLs within the elapsed seconds), and the deleted rows are gone from both.
A backfill killed with SIGKILL halfway resumes from its checkpoints; two workers share one plan
and the survivor takes over the units of a killed one; a table missing on the target is a clear
error that marks no unit done."""

import os
import random
import re
import signal
import time

import pytest

from admin_http import admin_call
from backfill_compare import compare
from live_writer import LiveWriter
from proxy_process import ProxyProcess, run_tandem, start_tandem

KS = "tandem_bf"
TABLES = ["users", "events", "wide", "keyonly", "counts"]
PORT = 9166
SCALE = float(os.environ.get("TANDEM_BACKFILL_SCALE", "1"))


@pytest.fixture(scope="module")
def direct(backfill_direct):
    """Here the sessions the fixture was loaded with, not conftest's module-wide pair."""
    return backfill_direct


@pytest.fixture(scope="module")
def fixture_loaded(backfill_direct, backfill_fixture):
    again = run_tandem(["schema", "diff"], env={"TANDEM_BACKFILL_KEYSPACES": KS}, timeout=300)
    assert again.returncode == 0 and "has every keyspace" in again.stdout, again.stdout
    return True


def assert_equal(direct, tables=TABLES, slack=180):
    for table in tables:
        deadline = time.monotonic() + 15
        while True:
            diffs, rows = compare(direct["source"], direct["target"], KS, table, ttl_slack=slack)
            if not diffs or time.monotonic() > deadline:
                break
            time.sleep(0.5)  # mirrored writes (source_authoritative) may trail a moment
        assert not diffs, f"{len(diffs)} differences in {table}, first: {[d.detail for d in diffs[:5]]}"
        assert rows > 0


def truncate_target(direct, tables):
    for t in tables:
        direct["target"].execute(f"TRUNCATE {KS}.{t}")


def units(direct, job):
    from cassandra import InvalidRequest
    try:
        return list(direct["target"].execute(
            "SELECT keyspace_name, table_name, unit, state, owner FROM tandem.backfill_units "
            "WHERE job = %s", (job,)))
    except InvalidRequest:
        return []  # the first backfill has not created the state tables yet


class Writer(LiveWriter):
    """Updates and deletes random fixture rows through the proxy until stopped."""

    def __init__(self, proxy):
        super().__init__(proxy)
        self.deleted_users, self.updated = set(), 0
        self.update = self.session.prepare(f"UPDATE {KS}.users SET name = ? WHERE k = ?")
        self.delete = self.session.prepare(f"DELETE FROM {KS}.users WHERE k = ?")
        self.delete_event = self.session.prepare(
            f"DELETE FROM {KS}.events WHERE tenant = ? AND day = ? AND seq = ?")
        self.rng = random.Random(5)
        self.n_users = int(60000 * SCALE)

    def write(self):
        k = self.rng.randrange(self.n_users)
        if self.rng.random() < 0.3:
            self.session.execute(self.delete, (k,))
            self.deleted_users.add(k)
            i = self.rng.randrange(int(40000 * SCALE))
            self.session.execute(self.delete_event, (f"t{i % 20}", i % 20, i))
        else:
            self.session.execute(self.update, (f"updated {k}", k))
            self.deleted_users.discard(k)
            self.updated += 1


def test_backfill_copies_every_cell_beside_live_writes(direct, fixture_loaded):
    proxy = ProxyProcess(port=PORT, yaml_text=f"  instances: [\"127.0.0.1:{PORT}\"]\n").start()
    try:
        with Writer(proxy) as writer:
            time.sleep(1)
            run = run_tandem(["backfill", "--no-progress-bar", "--keyspace", KS],
                             env={"TANDEM_BACKFILL_JOB": f"live{os.getpid()}",
                                  "TANDEM_BACKFILL_MAX_PARTITION_CONCURRENCY": "2"}, timeout=1200)
            time.sleep(1)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "backfill: finished" in run.stderr, run.stderr
        # The 50,000-row partition (many batches per page) never had more than 2 writes in flight.
        most = re.search(r"at most (\d+) writes in flight on one partition", run.stderr)
        assert most and 1 <= int(most.group(1)) <= 2, run.stderr
        assert not writer.errors, writer.errors[:3]
        assert writer.updated > 0 and writer.deleted_users
        assert_equal(direct)
        for k in list(writer.deleted_users)[:200]:
            for name in ("source", "target"):
                assert direct[name].execute(f"SELECT k FROM {KS}.users WHERE k = %s", (k,)).one() is None
        assert all(u.state == "done" for u in units(direct, f"live{os.getpid()}"))
    finally:
        proxy.stop()


def test_a_killed_backfill_resumes_from_its_checkpoints(direct, fixture_loaded):
    tables = ["users", "wide"]
    truncate_target(direct, tables)
    env = {"TANDEM_BACKFILL_JOB": f"resume{os.getpid()}", "TANDEM_BACKFILL_TABLES": "tandem_bf.users,tandem_bf.wide",
           "TANDEM_BACKFILL_MAX_ROWS_PER_SECOND": "20000", "TANDEM_BACKFILL_PAGE_SIZE": "500"}
    first = start_tandem(["backfill", "--no-progress-bar"], env)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        states = [u.state for u in units(direct, env["TANDEM_BACKFILL_JOB"])]
        done = sum(s == "done" for s in states)
        # The plan is complete (two tables, at least 8 units each) and a third is done.
        if len(states) >= 16 and done >= max(1, len(states) // 3):
            break
        time.sleep(0.2)
    first.send_signal(signal.SIGKILL)
    first.wait()
    states = [u.state for u in units(direct, env["TANDEM_BACKFILL_JOB"])]
    done_before = sum(s == "done" for s in states)
    assert 0 < done_before < len(states), states
    env["TANDEM_BACKFILL_LEASE"] = "2s"  # the killed run's claims expire soon
    time.sleep(2)
    second = run_tandem(["backfill", "--no-progress-bar"], env=env, timeout=1200)
    assert second.returncode == 0, second.stderr
    assert f"{done_before} of {len(states)} units already done, skipped" in second.stderr, second.stderr
    assert all(u.state == "done" for u in units(direct, env["TANDEM_BACKFILL_JOB"]))
    assert_equal(direct, tables)


def test_two_workers_share_a_plan_and_one_takes_over_from_a_killed_one(direct, fixture_loaded):
    tables = ["events", "keyonly", "counts"]
    truncate_target(direct, tables)
    job = f"pair{os.getpid()}"
    env = {"TANDEM_BACKFILL_JOB": job, "TANDEM_BACKFILL_TABLES": ",".join(f"{KS}.{t}" for t in tables),
           "TANDEM_BACKFILL_LEASE": "3s", "TANDEM_BACKFILL_MAX_ROWS_PER_SECOND": "15000",
           "TANDEM_BACKFILL_PAGE_SIZE": "500"}
    a = start_tandem(["backfill", "--no-progress-bar", "--worker-id", "worker-a"], env)
    b = start_tandem(["backfill", "--no-progress-bar", "--worker-id", "worker-b"], env)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        owners = {u.owner for u in units(direct, job) if u.owner}
        if {"worker-a", "worker-b"} <= owners and any(u.state == "done" for u in units(direct, job)):
            break
        time.sleep(0.2)
    a.send_signal(signal.SIGKILL)
    a.wait()
    held_by_a = {(u.table_name, u.unit) for u in units(direct, job)
                 if u.owner == "worker-a" and u.state != "done"}
    out, _ = b.communicate(timeout=1200)
    assert b.returncode == 0, out
    final = units(direct, job)
    assert all(u.state == "done" for u in final), (
        [(u.table_name, u.unit, u.state, u.owner) for u in final if u.state != "done"], out[-3000:])
    # What the killed worker held, unfinished, was taken over and finished by the other.
    assert held_by_a, "worker-a held no unit when it was killed"
    assert all(u.owner == "worker-b" for u in final if (u.table_name, u.unit) in held_by_a)
    assert_equal(direct, tables)


def test_a_table_missing_on_the_target_is_named_and_nothing_is_marked_done(direct, fixture_loaded):
    direct["source"].execute(f"CREATE TABLE IF NOT EXISTS {KS}.only_on_source (k int PRIMARY KEY, v int)")
    direct["target"].execute(f"DROP TABLE IF EXISTS {KS}.only_on_source")
    job = f"missing{os.getpid()}"
    run = run_tandem(["backfill", "--no-progress-bar", "--table", f"{KS}.only_on_source",
                      "--table", f"{KS}.users"], env={"TANDEM_BACKFILL_JOB": job}, timeout=300)
    assert run.returncode == 1
    assert "table tandem_bf.only_on_source does not exist on the target" in run.stderr, run.stderr
    assert not [u for u in units(direct, job) if u.state == "done"]
    direct["source"].execute(f"DROP TABLE {KS}.only_on_source")


def test_the_admin_port_starts_pauses_and_resumes_a_backfill(direct, fixture_loaded):
    truncate_target(direct, ["keyonly"])
    job = f"admin{os.getpid()}"
    proxy = ProxyProcess(port=PORT + 1, yaml_text=f"  instances: [\"127.0.0.1:{PORT + 1}\"]\n",
                         env={"TANDEM_BACKFILL_JOB": job, "TANDEM_BACKFILL_TABLES": f"{KS}.keyonly",
                              "TANDEM_BACKFILL_MAX_ROWS_PER_SECOND": "10000",
                              "TANDEM_BACKFILL_PAGE_SIZE": "200"}).start()
    try:
        assert admin_call(proxy, "/api/v1/backfill")[1]["state"] == "idle"
        assert admin_call(proxy, "/api/v1/backfill", {"action": "pause"})[0] == 409
        status, body = admin_call(proxy, "/api/v1/backfill", {"action": "start"})
        assert status == 200, body
        assert admin_call(proxy, "/api/v1/backfill", {"action": "start"})[0] == 409
        assert admin_call(proxy, "/api/v1/backfill", {"action": "pause"})[0] == 200
        paused = admin_call(proxy, "/api/v1/backfill")[1]
        assert paused["state"] == "paused", paused
        time.sleep(1.5)
        rows = admin_call(proxy, "/api/v1/backfill")[1]["rows"]
        time.sleep(1.5)
        assert admin_call(proxy, "/api/v1/backfill")[1]["rows"] == rows  # nothing copied while paused
        assert admin_call(proxy, "/api/v1/backfill", {"action": "resume"})[0] == 200
        deadline = time.monotonic() + 300
        state, midway = {}, None
        while time.monotonic() < deadline:
            state = admin_call(proxy, "/api/v1/backfill")[1]
            if state["state"] in ("finished", "failed"):
                break
            if state["state"] == "running" and state["tables"] and state["tables"][0]["rows"] > 0:
                midway = state["tables"][0]
            time.sleep(0.5)
        assert state["state"] == "finished", state
        assert state["units_done"] == state["units_total"] > 0
        # Issue 16: progress per table, with its rate and an estimate of the time left.
        [table] = state["tables"]
        assert table["table"] == f"{KS}.keyonly" and table["share_done"] == 1.0, table
        assert table["rows"] == state["rows"] > 0 and table["units_done"] == table["units_total"]
        assert table["eta_seconds"] == 0.0 and table["rows_per_second"] > 0, table
        assert midway is not None, "no progress was seen midway"
        assert midway["share_done"] < 1 and midway["rows_per_second"] > 0, midway
        assert "eta_seconds" in midway, midway  # null until one of its units is done
        assert admin_call(proxy, "/api/v1/status")[1]["backfill"]["state"] == "finished"
    finally:
        proxy.stop()
    assert_equal(direct, ["keyonly"])
