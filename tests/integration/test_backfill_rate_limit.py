"""Issue 5, done-means 5, and issue 16, done-means 4: with `tools/clusters up --target-rate-limit N` (Cassandra's
native_transport_max_requests_per_second on the target), the backfill completes with no failed
unit and its write rate settles near the limit. Runs in tools/test's third phase (marker
`ratelimit`), which starts the clusters with TANDEM_RATE_LIMIT requests/s."""

import os
import re
import subprocess
import sys

import pytest

from backfill_compare import compare
from conftest import REPO_ROOT, connect, node_settings
from proxy_process import run_tandem

pytestmark = pytest.mark.ratelimit

KS = "tandem_bf"


def test_backfill_settles_near_the_target_rate_limit():
    limit = int(os.environ.get("TANDEM_TARGET_RATE_LIMIT") or os.environ.get("TANDEM_RATE_LIMIT") or "0")
    if limit <= 0:
        raise RuntimeError("this test needs `tools/clusters up --target-rate-limit N` and "
                           "TANDEM_RATE_LIMIT=N (tools/test's third phase)")
    load = subprocess.run([sys.executable, str(REPO_ROOT / "tools" / "backfill_fixture.py"),
                           "--scale", "0.1"], capture_output=True, text=True, timeout=600)
    assert load.returncode == 0, load.stderr
    # A fixed 32 writes in flight of one row each ask for far more than the limit whatever the
    # machine's speed (the adaptive limit, on a slow ASan build, may stay under it and never be
    # refused; batches of 16 rows made only 256 requests/s in a CI run at load 6): the pacer
    # alone must hold the rate.
    env = {"TANDEM_BACKFILL_KEYSPACES": KS, "TANDEM_BACKFILL_JOB": f"limited{os.getpid()}",
           "TANDEM_BACKFILL_TABLES": f"{KS}.keyonly,{KS}.wide",
           "TANDEM_BACKFILL_ADAPTIVE_CONCURRENCY": "false", "TANDEM_BACKFILL_MAX_CONCURRENCY": "32",
           "TANDEM_BACKFILL_BATCH_STATEMENTS": "1"}
    target_cluster, target = connect(node_settings("target"), 4)
    source_cluster, source = connect(node_settings("source"), 4)
    try:
        target.execute(f"DROP KEYSPACE IF EXISTS {KS}")
        schema = run_tandem(["schema", "apply"], env=env, timeout=300)
        assert schema.returncode == 0, schema.stderr
        run = run_tandem(["backfill", "--no-progress-bar"], env=env, timeout=900)
        assert run.returncode == 0, run.stderr
        m = re.search(r"finished: (\d+) rows.*?, ([\d.]+) write requests/s\); units (\d+)/(\d+) done",
                      run.stderr)
        assert m, run.stderr
        rate = float(m.group(2))
        assert m.group(3) == m.group(4)
        print(f"limit {limit} requests/s, backfill wrote {rate:.0f} requests/s: {run.stderr.strip()}")
        assert 0.3 * limit <= rate <= 1.2 * limit, run.stderr
        # Issue 16, done-means 4: the copy's connections ask for THROW_ON_OVERLOAD, so the
        # limited target answers Overloaded (it does not just stall), and the backfill paces on
        # those answers instead of failing a unit.
        overloaded = re.search(r"retries after push-back \((\d+) Overloaded\)", run.stderr)
        assert overloaded and int(overloaded.group(1)) > 0, run.stderr
        assert re.search(r"paced by the target at \d+ write requests/s", run.stderr), run.stderr
        for table in ("keyonly", "wide"):
            diffs, rows = compare(source, target, KS, table)
            assert rows > 0 and not diffs, [d.detail for d in diffs[:5]]
    finally:
        target_cluster.shutdown()
        source_cluster.shutdown()
