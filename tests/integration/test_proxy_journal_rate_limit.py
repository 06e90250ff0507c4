"""Issue 14, done-means 5: against a target started with `tools/clusters up --target-rate-limit N`
(Cassandra's native_transport_max_requests_per_second), which answers Overloaded to the proxy's
connections because they send THROW_ON_OVERLOAD, every write the proxy acknowledged ends up on
the target: the Overloaded copies are journaled, the replayer backs off (its metric counts it)
and the journal drains. Runs in tools/test's third phase (marker `ratelimit`)."""

import os
import threading
import time

import pytest
from cassandra.concurrent import execute_concurrent_with_args
from cassandra.policies import FallthroughRetryPolicy

from admin_http import admin_ok, metric
from conftest import connect, create_keyspace, node_settings
from proxy_process import ProxyProcess

pytestmark = pytest.mark.ratelimit

PORT = 9174
KS = "tandem_journal_limited"
ROWS = 4000


class TargetNoise:
    """Reads of system.local straight to the target, 32 in flight, until the with-block ends."""

    def __init__(self, session):
        self.session, self.stop, self.thread = session, threading.Event(), None

    def run(self):
        while not self.stop.is_set():
            futures = [self.session.execute_async("SELECT release_version FROM system.local")
                       for _ in range(32)]
            for f in futures:
                try:
                    f.result()
                except Exception:  # throttled or timed out: it is noise either way
                    pass

    def __enter__(self):
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=60)


def test_a_throttling_target_gets_every_acknowledged_write(tmp_path):
    limit = int(os.environ.get("TANDEM_TARGET_RATE_LIMIT") or os.environ.get("TANDEM_RATE_LIMIT") or "0")
    if limit <= 0:
        raise RuntimeError("this test needs `tools/clusters up --target-rate-limit N` and "
                           "TANDEM_RATE_LIMIT=N (tools/test's third phase)")
    proxy = ProxyProcess(port=PORT, yaml_text=f"  instances: [\"127.0.0.1:{PORT}\"]\n",
                         env={"TANDEM_JOURNAL_DIR": str(tmp_path / "journal")}).start()
    target_cluster, target = connect(node_settings("target"), 4)
    source_cluster, source = connect(node_settings("source"), 4)
    try:
        cluster, session = proxy.connect(4, request_timeout=30,
                                         retry_policy=FallthroughRetryPolicy())
        try:
            create_keyspace(session, KS)
            session.execute(f"DROP TABLE IF EXISTS {KS}.t")
            session.execute(f"CREATE TABLE {KS}.t (k int PRIMARY KEY, v text)")
            insert = session.prepare(f"INSERT INTO {KS}.t (k, v) VALUES (?, ?)")
            # Another client of the target spends its request budget meanwhile, as the other
            # tenants of a managed service do: the proxy's copies meet the limit whatever the
            # speed of this machine's source.
            with TargetNoise(target):
                began = time.monotonic()
                results = execute_concurrent_with_args(
                    session, insert, [(k, f"value {k}") for k in range(ROWS)], concurrency=64,
                    raise_on_first_error=False)
                seconds = time.monotonic() - began
        finally:
            cluster.shutdown()
        acknowledged = [k for k, (ok, _) in enumerate(results) if ok]
        refused = [repr(r) for ok, r in results if not ok]
        assert refused == [], refused[:3]
        rate = ROWS / seconds
        overloaded = metric(proxy, "tandem_target_write_failures_total", 0)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and admin_ok(proxy, "/api/v1/journal")["pending"] > 0:
            time.sleep(1)
        journal = admin_ok(proxy, "/api/v1/journal")
        print(f"{ROWS} writes at {rate:.0f}/s against a target limited to {limit}/s: "
              f"{journal['appended']} journaled, {journal['replayed']} replayed, "
              f"{journal['replay_backoffs']} replay back-offs, {overloaded:.0f} target write "
              f"failures, drained in "
              f"{time.monotonic() - began - seconds:.1f} s after the load")
        assert journal["pending"] == 0, journal
        assert journal["dead_lettered"] == 0, journal
        assert journal["replayed"] > 0, journal
        assert metric(proxy, "tandem_journal_replay_backoffs_total") > 0
        read = f"SELECT k, v, WRITETIME(v) AS wt FROM {KS}.t"
        on_source = sorted(source.execute(read))
        on_target = sorted(target.execute(read))
        assert len(on_source) == len(acknowledged) == ROWS
        assert on_source == on_target, [r for r in on_source if r not in on_target][:3]
    finally:
        proxy.stop()
        target_cluster.shutdown()
        source_cluster.shutdown()
