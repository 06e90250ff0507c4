"""Issue 6, done-means 1-4: validation, repair and the cutover gate against the real clusters.

After a complete backfill of the fixture (tools/backfill_fixture.py), differences are injected
DIRECTLY into the target: deleted rows, changed values, changed writetimes, extra rows, a dropped
TTL. `tandem validate` reports exactly these while a writer keeps writing through the proxy;
`--repair` fixes them and a second validation is clean, with every target writetime one the source
has too. The cutover gate follows: not ready before the backfill, missing validation after it,
ready after a clean one, not ready again after a target write fails. `--sample` is timed against
the full run and finds an injected difference exactly where its units cover it."""

import json
import os
import random
import re
import signal
import time
from pathlib import Path

from admin_http import admin_call
from backfill_compare import compare
from conftest import BACKFILL_KEYSPACE as KS, forget_journal_facts, target_paused
from live_writer import LiveWriter
from proxy_process import ProxyProcess, run_tandem, start_tandem

PORT = 9168
WRITER_KEYS = range(0, 20000)  # the live writer's users; injections stay away from them
# /api/v1/cutover reads the gate's state on the target (5 s a read), more while it is paused.
ADMIN_TIMEOUT = 30


def settings(tmp_path):
    pid = os.getpid()
    return {"TANDEM_BACKFILL_JOB": f"vbf{pid}", "TANDEM_BACKFILL_KEYSPACES": KS,
            "TANDEM_VALIDATE_JOB": f"v{pid}", "TANDEM_VALIDATE_REPORT_DIR": str(tmp_path),
            "TANDEM_VALIDATE_RECHECK_DELAY": "2s", "TANDEM_VALIDATE_MIN_UNITS": "16"}


def validate(env, *args, timeout=900):
    run = run_tandem(["validate", "--no-progress-bar", *args], env=env, timeout=timeout)
    m = re.search(r"validate: (?:starting|resuming) round (\d+).*report: (\S+)", run.stderr)
    assert m, run.stdout + run.stderr
    lines = [json.loads(l) for l in Path(m.group(2)).read_text().splitlines() if l.strip()]
    return run, int(m.group(1)), lines


def gate(env):
    run = run_tandem(["cutover", "check"], env=env, timeout=120)
    return run.returncode, run.stdout + run.stderr


def found(lines):
    """(table, key as sorted tuple, class, column) of each report line."""
    return {(l["table"], tuple(sorted(l["key"].items())), l["class"], l["column"]) for l in lines}


def key(**kv):
    return tuple(sorted(kv.items()))


class Writer(LiveWriter):
    """Updates and deletes random users (WRITER_KEYS) through the proxy until stopped."""

    def __init__(self, proxy):
        super().__init__(proxy)
        self.update = self.session.prepare(f"UPDATE {KS}.users SET name = ?, age = ? WHERE k = ?")
        self.delete = self.session.prepare(f"DELETE FROM {KS}.users WHERE k = ?")
        self.rng = random.Random(11)

    def write(self):
        k = self.rng.choice(WRITER_KEYS)
        if self.rng.random() < 0.2:
            self.session.execute(self.delete, (k,))
        else:
            self.session.execute(self.update, (f"live {k}", self.rng.randrange(100), k))


def writetime(session, table, column, where, args):
    row = session.execute(f"SELECT writetime({column}) AS wt FROM {KS}.{table} WHERE {where}", args).one()
    assert row is not None and row.wt is not None, (table, column, args)
    return row.wt


def existing_users(src, start, count, ttl=False):
    """`count` users from `start` on (same k % 3) that the source still has (other tests' writers
    delete random users), with a TTL on age when asked."""
    out, k = [], start
    while len(out) < count:
        row = src.execute(f"SELECT k, ttl(age) AS ttl FROM {KS}.users WHERE k = %s", (k,)).one()
        if row is not None and (row.ttl is not None) == ttl:
            out.append(k)
        k += 3
        assert k < start + 3 * 20 * count + 300, f"too few users left from {start}"
    return out


def inject(direct):
    """Differences written straight into the target; returns what validate must report."""
    src, dst = direct["source"], direct["target"]
    expected = set()
    for c in (100, 200, 300):  # deleted rows
        dst.execute(f"DELETE FROM {KS}.wide WHERE p = 0 AND c = %s", (c,))
        expected.add((f"{KS}.wide", key(p=0, c=c), "missing_on_target", None))
    event = next(r for r in src.execute(f"SELECT tenant, day, seq FROM {KS}.events LIMIT 50") if r.seq > 0)
    dst.execute(f"DELETE FROM {KS}.events WHERE tenant = %s AND day = %s AND seq = %s",
                (event.tenant, event.day, event.seq))
    expected.add((f"{KS}.events", key(tenant=event.tenant, day=event.day, seq=event.seq),
                  "missing_on_target", None))
    changed = existing_users(src, 40002, 4)
    for k in changed[:2]:  # changed values (at a writetime a little after the source's)
        wt = writetime(src, "users", "name", "k = %s", (k,))
        dst.execute(f"UPDATE {KS}.users USING TIMESTAMP %s SET name = 'changed' WHERE k = %s", (wt + 1000, k))
        expected.add((f"{KS}.users", key(k=k), "value_differs", "name"))
    for k in changed[2:]:  # changed writetimes, same value
        row = src.execute(f"SELECT score, writetime(score) AS wt FROM {KS}.users WHERE k = %s", (k,)).one()
        dst.execute(f"UPDATE {KS}.users USING TIMESTAMP %s SET score = %s WHERE k = %s", (row.wt + 5000, row.score, k))
        expected.add((f"{KS}.users", key(k=k), "writetime_differs", "score"))
    dst.execute(f"INSERT INTO {KS}.keyonly (a, b) VALUES (5000, 1)")  # extra rows
    expected.add((f"{KS}.keyonly", key(a=5000, b=1), "extra_on_target", None))
    dst.execute(f"INSERT INTO {KS}.wide (p, c, v) VALUES (500, 1, 'extra') USING TIMESTAMP 1600000000000000")
    expected.add((f"{KS}.wide", key(p=500, c=1), "extra_on_target", None))
    k = existing_users(src, 40000, 1, ttl=True)[0]  # its TTL dropped by a rewrite of the same value
    row = src.execute(f"SELECT age, writetime(age) AS wt, ttl(age) AS ttl FROM {KS}.users WHERE k = %s", (k,)).one()
    assert row.ttl is not None
    dst.execute(f"UPDATE {KS}.users USING TIMESTAMP %s SET age = %s WHERE k = %s", (row.wt + 1, row.age, k))
    expected.add((f"{KS}.users", key(k=k), "ttl_differs", "age"))
    return expected


def test_validate_reports_exactly_the_injected_differences_repairs_them_and_gates_cutover(
        backfill_direct, backfill_fixture, tmp_path):
    direct = backfill_direct
    forget_journal_facts(direct["target"])
    env = settings(tmp_path)
    code, out = gate(env)
    assert code == 1 and f"{KS}.users: not backfilled" in out, out

    backfill = run_tandem(["backfill", "--no-progress-bar"], env=env, timeout=1200)
    assert backfill.returncode == 0, backfill.stderr
    code, out = gate(env)
    assert code == 1 and "not backfilled" not in out and "backfill incomplete" not in out, out
    assert f"{KS}.users: no finished full validation" in out, out

    expected = inject(direct)
    proxy = ProxyProcess(port=PORT, yaml_text=f"  instances: [\"127.0.0.1:{PORT}\"]\n", env=env).start()
    try:
        with Writer(proxy) as writer:
            run, _, lines = validate(env)
        assert not writer.errors, writer.errors[:3]
        assert writer.writes > 100, writer.writes
        assert run.returncode == 1, run.stderr
        assert found(lines) == expected, (found(lines) ^ expected, run.stderr[-3000:])
        assert all(l["resolution"] == "reported" for l in lines)
        code, out = gate(env)
        assert code == 1 and "differences" in out, out

        with Writer(proxy) as writer:
            repair, _, lines = validate(env, "--repair")
        assert repair.returncode == 0, repair.stderr
        assert found(lines) == expected, (found(lines) ^ expected, repair.stderr[-3000:])
        assert {l["resolution"] for l in lines} == {"repaired"}, lines

        clean, _, lines = validate(env)
        assert clean.returncode == 0, clean.stderr
        assert lines == [] and "validate: clean" in clean.stderr, clean.stderr
        # Every cell on the target carries a writetime the source has too (and the same value).
        for table in ("users", "wide", "keyonly", "events", "counts"):
            diffs, rows = compare(direct["source"], direct["target"], KS, table, ttl_slack=180)
            assert not diffs and rows > 0, (table, [d.detail for d in diffs[:5]])

        code, out = gate(env)
        assert code == 0 and "READY" in out, out
        status, body = admin_call(proxy, "/api/v1/cutover", timeout=ADMIN_TIMEOUT)
        assert status == 200 and body["ready"] is True, body
    finally:
        proxy.stop()

    # A mirrored write that fails on the target (the target paused) turns the gate back. Without
    # a journal: with one the write is replayed instead (test_proxy_journal.py).
    proxy = ProxyProcess(port=PORT + 1, yaml_text=f"  instances: [\"127.0.0.1:{PORT + 1}\"]\n"
                         "target:\n  request_timeout: 2s\n  heartbeat_interval: 1s\n",
                         env={**env, "TANDEM_JOURNAL_DIR": ""}).start()
    try:
        cluster, session = proxy.connect()
        with target_paused():
            for k in range(5):
                session.execute(f"UPDATE {KS}.users SET name = 'during the pause' WHERE k = %s", (k,))
            deadline = time.monotonic() + 30
            while admin_call(proxy, "/api/v1/status", timeout=ADMIN_TIMEOUT)[1]["last_target_write_failure_us"] == 0:
                assert time.monotonic() < deadline, "no target write failed while the target was paused"
                time.sleep(0.5)
            status, body = admin_call(proxy, "/api/v1/cutover", timeout=ADMIN_TIMEOUT)
            assert status == 200 and body["ready"] is False, body
        cluster.shutdown()
        # Once the target is back the proxy records the failure there; the CLI sees it too.
        deadline = time.monotonic() + 60
        while True:
            code, out = gate(env)
            if "a mirrored write failed on the target" in out:
                break
            assert time.monotonic() < deadline, out
            time.sleep(1)
        assert code == 1, out
        # The proxy's own gate says the same once its health check sees the target again.
        deadline = time.monotonic() + 60
        while True:
            status, body = admin_call(proxy, "/api/v1/cutover", timeout=ADMIN_TIMEOUT)
            assert status == 200 and body["ready"] is False, body
            if any("mirrored write failed" in m for m in body["missing"]):
                break
            assert time.monotonic() < deadline, body
            time.sleep(1)
    finally:
        proxy.stop()


def test_a_sample_is_faster_and_finds_the_differences_in_the_units_it_covers(
        backfill_direct, backfill_fixture, tmp_path):
    direct = backfill_direct
    env = settings(tmp_path)
    env["TANDEM_VALIDATE_JOB"] = f"sample{os.getpid()}"
    env["TANDEM_VALIDATE_MIN_UNITS"] = "64"
    table = f"{KS}.users"
    backfill = run_tandem(["backfill", "--no-progress-bar"], env=env, timeout=1200)  # resumes: done
    assert backfill.returncode == 0, backfill.stderr
    injected = existing_users(direct["source"], 45002, 100)  # rows without TTL, no writer here
    for k in injected:
        wt = writetime(direct["source"], "users", "name", "k = %s", (k,))
        direct["target"].execute(f"UPDATE {KS}.users USING TIMESTAMP %s SET name = 'sampled' WHERE k = %s", (wt + 1000, k))
    tokens = {k: direct["source"].execute(f"SELECT token(k) AS t FROM {KS}.users WHERE k = %s", (k,)).one().t
              for k in injected}

    began = time.monotonic()
    full, _, full_lines = validate(env, "--table", table, "--new-round")
    full_seconds = time.monotonic() - began
    assert full.returncode == 1
    assert {l["key"]["k"] for l in full_lines} == set(injected)

    began = time.monotonic()
    sample, round_no, lines = validate(env, "--table", table, "--sample", "0.1", "--seed", "7")
    sample_seconds = time.monotonic() - began
    print(f"\nvalidate {table}: full {full_seconds:.1f} s, --sample 0.1 {sample_seconds:.1f} s")
    units = list(direct["target"].execute(
        "SELECT range_start, range_end FROM tandem.backfill_units WHERE job = %s",
        (f"validate:{env['TANDEM_VALIDATE_JOB']}:{round_no}",)))
    assert 0 < len(units) < 64 * 0.2, len(units)
    covered = {k for k, t in tokens.items() if any(u.range_start < t <= u.range_end for u in units)}
    assert covered, "the sample covered none of the 100 injected keys"
    assert {l["key"]["k"] for l in lines} == covered
    assert sample.returncode == 1
    assert sample_seconds < full_seconds, (sample_seconds, full_seconds)

    repair, _, _ = validate(env, "--table", table, "--repair", "--new-round")
    assert repair.returncode == 0, repair.stderr


def test_an_interrupted_validation_resumes_its_round(backfill_direct, backfill_fixture, tmp_path):
    direct = backfill_direct
    env = settings(tmp_path)
    env.update({"TANDEM_VALIDATE_JOB": f"resume{os.getpid()}", "TANDEM_VALIDATE_MIN_UNITS": "64",
                "TANDEM_VALIDATE_WORKERS": "1", "TANDEM_BACKFILL_LEASE": "2s",
                "TANDEM_VALIDATE_PAGE_SIZE": "100"})
    backfill = run_tandem(["backfill", "--no-progress-bar"], env=env, timeout=1200)  # resumes: done
    assert backfill.returncode == 0, backfill.stderr
    first = start_tandem(["validate", "--no-progress-bar", "--table", f"{KS}.users"], env)
    job = f"validate:{env['TANDEM_VALIDATE_JOB']}:1"
    deadline = time.monotonic() + 300
    states = []
    while time.monotonic() < deadline and first.poll() is None:
        try:
            states = [u.state for u in direct["target"].execute(
                "SELECT state FROM tandem.backfill_units WHERE job = %s", (job,))]
        except Exception:
            states = []  # the state tables may not exist yet
        if len(states) == 64 and sum(s == "done" for s in states) >= 16:
            break
        time.sleep(0.1)
    first.send_signal(signal.SIGKILL)
    first.wait()
    done = sum(s == "done" for s in states)
    assert 16 <= done < 64, (done, first.stdout.read()[-2000:])
    time.sleep(2.5)  # the killed run's claim expires
    second, round_no, lines = validate(env, "--table", f"{KS}.users")
    assert round_no == 1 and "resuming round 1" in second.stderr, second.stderr
    skipped = int(re.search(r"(\d+) of 64 units already validated in this round, skipped", second.stderr).group(1))
    assert skipped >= done, (skipped, done)
    assert second.returncode == 0 and lines == [], second.stderr
    assert all(u.state == "done" for u in direct["target"].execute(
        "SELECT state FROM tandem.backfill_units WHERE job = %s", (job,)))
