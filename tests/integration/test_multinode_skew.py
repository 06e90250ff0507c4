"""Issue 15, done-means 6 (data skew): tandem_skew.skew on the 3-node source (RF 3) holds one
partition of 500,000 rows beside 500,000 rows in partitions of 100 (tools/skew_fixture.py).
The backfill to the 2-node target (RF 2) finishes with every row there; while the big partition
copies, the rest of the table keeps moving (the rows copied of the other units, sampled from
the checkpoints, are measured against the big unit's over the same time); and no more than
backfill.max_partition_concurrency writes were ever in flight on one partition.

The big partition's token lies in the ring's first unit, so it is claimed first and the other
workers copy the rest while it runs."""

import os
import re
import subprocess
import sys
import tempfile
import time

import pytest
from cassandra import ConsistencyLevel, ReadTimeout
from cassandra.query import SimpleStatement

from conftest import REPO_ROOT
from proxy_process import run_tandem, tandem_environment, proxy_binary
from test_multinode import direct, hosts, ring  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.multinode, pytest.mark.usefixtures("settled_rings")]

KS = "tandem_skew"
BIG_ROWS = 500_000
REST_ROWS = 500_000
PARTITION_CONCURRENCY = 2


def load_fixture():
    load = subprocess.run([sys.executable, str(REPO_ROOT / "tools" / "skew_fixture.py"), "--host",
                           hosts("source")[0], "--big-rows", str(BIG_ROWS), "--rest-rows",
                           str(REST_ROWS), "--replication-factor", "3"],
                          capture_output=True, text=True, timeout=900, env=dict(os.environ))
    assert load.returncode == 0, load.stdout + load.stderr
    found = re.search(r"big partition p=(-?\d+) token=(-?\d+)", load.stdout)
    assert found, load.stdout
    return int(found.group(1)), int(found.group(2))


def units(session, job):
    """[(range_start, range_end, state, rows_copied)] of the job's units."""
    return [(r.range_start, r.range_end, r.state, r.rows_copied or 0) for r in session.execute(
        "SELECT range_start, range_end, state, rows_copied FROM tandem.backfill_units "
        "WHERE job = %s AND keyspace_name = %s AND table_name = 'skew'", (job, KS))]


def count_once(session, where, tries=3):
    """count(*) at ALL; a read the replicas did not answer within the server's timeout is asked
    again (a 2-core machine under five nodes' load can take longer than the 10 s it allows)."""
    stmt = SimpleStatement(f"SELECT count(*) FROM {KS}.skew {where}",
                           consistency_level=ConsistencyLevel.ALL)
    for attempt in range(tries):
        try:
            return list(session.execute(stmt, timeout=300))[0][0]
        except ReadTimeout:
            if attempt == tries - 1:
                raise


def count(session, where="", slices=32):
    """Rows of the table (or of `where`): the whole table counted in token slices, each a read
    small enough for the server's range timeout (the whole 1M-row table at ALL in one read timed
    out on a busy machine)."""
    if where:
        return count_once(session, where)
    bounds = [-2 ** 63 + i * (2 ** 64 // slices) for i in range(slices)] + [2 ** 63 - 1]
    # (lo, hi] slices miss only the token -2^63, which Murmur3 never gives a key (and which,
    # asked for alone, Cassandra reads as the whole ring's bound).
    return sum(count_once(session, f"WHERE token(p) > {lo} AND token(p) <= {hi}")
               for lo, hi in zip(bounds, bounds[1:]))


def test_one_huge_partition_does_not_starve_the_rest_of_its_table(direct):
    big, big_token = load_fixture()
    direct["target"].execute(f"DROP KEYSPACE IF EXISTS {KS}")
    direct["target"].execute(f"CREATE KEYSPACE {KS} WITH replication = "
                             "{'class': 'SimpleStrategy', 'replication_factor': 2}")
    job = f"skew{os.getpid()}"
    env = {"TANDEM_BACKFILL_KEYSPACES": KS, "TANDEM_BACKFILL_JOB": job,
           "TANDEM_SOURCE_CONTACT_POINTS": ",".join(hosts("source")),
           "TANDEM_TARGET_CONTACT_POINTS": ",".join(hosts("target")),
           "TANDEM_BACKFILL_MAX_PARTITION_CONCURRENCY": str(PARTITION_CONCURRENCY)}
    schema = run_tandem(["schema", "apply"], env=env, timeout=300)
    assert schema.returncode == 0, schema.stdout + schema.stderr

    samples = []  # (seconds, rows of the big partition's unit, rows of the other units, done)
    with tempfile.TemporaryFile(mode="w+") as log:
        run = subprocess.Popen([proxy_binary(), "backfill", "--no-progress-bar", "--keyspace", KS],
                               env=tandem_environment(env), stdout=log, stderr=subprocess.STDOUT,
                               text=True)
        began = time.monotonic()
        try:
            while run.poll() is None and time.monotonic() - began < 1200:
                plan = units(direct["target"], job)
                big_unit = [u for u in plan if u[0] < big_token <= u[1]]
                if big_unit:
                    rest = [u for u in plan if u is not big_unit[0]]
                    samples.append((time.monotonic() - began, big_unit[0][3],
                                    sum(u[3] for u in rest), big_unit[0][2] == "done"))
                time.sleep(0.5)
            run.wait(timeout=5)
        finally:
            if run.poll() is None:
                run.kill()
        log.seek(0)
        out = log.read()
    assert run.returncode == 0, out
    assert "backfill: finished" in out, out

    # The configured bound held, and was reached (the big partition was written concurrently).
    most = re.search(r"at most (\d+) writes in flight on one partition", out)
    assert most, out
    assert 1 <= int(most.group(1)) <= PARTITION_CONCURRENCY, most.group(0)

    # The rest kept moving while the big partition copied: over the samples where the big unit
    # had started and neither it nor the rest was finished, the other units copied at least as
    # many rows per second as the big unit (one partition bounded to PARTITION_CONCURRENCY
    # writes, against the other workers' whole share of the concurrency).
    plan = units(direct["target"], job)
    rest_total = sum(u[3] for u in plan if not (u[0] < big_token <= u[1]))
    window = [s for s in samples if s[1] > 0 and not s[3] and s[2] < rest_total]
    assert len(window) >= 4, f"too few samples while both copied: {samples}"
    seconds = window[-1][0] - window[0][0]
    big_rate = (window[-1][1] - window[0][1]) / seconds
    rest_rate = (window[-1][2] - window[0][2]) / seconds
    print(f"while the big partition copied ({seconds:.1f} s): its unit {big_rate:.0f} rows/s, "
          f"the other units {rest_rate:.0f} rows/s; whole run {samples[-1][0]:.1f} s; "
          f"{most.group(0)}")
    assert rest_rate >= big_rate > 0, (big_rate, rest_rate, samples)

    # Everything arrived: the big partition whole, and the whole table.
    assert count(direct["target"], f"WHERE p = {big}") == BIG_ROWS
    assert count(direct["target"]) == BIG_ROWS + REST_ROWS
