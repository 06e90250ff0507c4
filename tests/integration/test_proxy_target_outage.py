"""Issue 3, done-means 7: under a steady write load through the proxy the target process is
paused (SIGSTOP) for 20 s. In source_authoritative mode no client write fails and the target
failures are counted (logged); in strict mode clients get errors; after SIGCONT the proxy
recovers by itself and writes reach the target again."""

import re
import time

from cassandra.policies import FallthroughRetryPolicy

from conftest import connect, create_keyspace, node_settings, target_paused, wait_until
from live_writer import LiveWriter
from proxy_process import ProxyProcess

PAUSE_SECONDS = 20


class Writer(LiveWriter):
    """Inserts ever new keys into a fresh table through the proxy, 10 ms apart, until stopped."""

    def __init__(self, proxy, table):
        super().__init__(proxy, pause=0.01, request_timeout=30,
                         retry_policy=FallthroughRetryPolicy())
        create_keyspace(self.session, "tandem_outage")
        self.session.execute(f"DROP TABLE IF EXISTS tandem_outage.{table}")
        self.session.execute(f"CREATE TABLE tandem_outage.{table} (k int PRIMARY KEY, v int)")
        self.insert = self.session.prepare(f"INSERT INTO tandem_outage.{table} (k, v) VALUES (?, ?)")
        self.next_key = 0

    def write(self):
        k = self.next_key
        self.next_key += 1
        self.session.execute(self.insert, (k, k))


def target_has(table, key):
    cluster, session = connect(node_settings("target"), 4)
    try:
        return session.execute(f"SELECT v FROM tandem_outage.{table} WHERE k = %s", (key,)).one() is not None
    finally:
        cluster.shutdown()


CLUSTER_TIMEOUTS = ("target:\n  request_timeout: 2s\n  heartbeat_interval: 1s\n"
                    "source:\n  request_timeout: 5s\n")


def test_source_authoritative_keeps_clients_whole_while_the_target_is_paused():
    proxy = ProxyProcess(port=9150, yaml_text="  instances: [\"127.0.0.1:9150\"]\n" + CLUSTER_TIMEOUTS)
    proxy.start()
    try:
        with Writer(proxy, "authoritative") as w:
            wait_until(lambda: w.writes > 20, 30)
            before = w.writes
            with target_paused():
                time.sleep(PAUSE_SECONDS)
            during = w.writes - before
            # Recovery by itself: a write made now reaches the target.
            assert wait_until(lambda: w.writes > before + during + 50, 60)
            probe_key = w.next_key + 5
            assert wait_until(lambda: target_has("authoritative", probe_key), 60), proxy.output()
            assert w.errors == []
            assert during > 100, f"only {during} writes went through during the pause"
    finally:
        proxy.stop()
    failures = len(re.findall(r"target write failed", proxy.output_all()))
    assert failures > 0, "target failures were not counted"


def test_strict_mode_gives_clients_errors_while_the_target_is_paused():
    proxy = ProxyProcess(port=9151, yaml_text="  instances: [\"127.0.0.1:9151\"]\n" + CLUSTER_TIMEOUTS
                         + "routing:\n  write_ack: strict\n")
    proxy.start()
    try:
        with Writer(proxy, "strict") as w:
            wait_until(lambda: w.writes > 20, 30)
            with target_paused():
                time.sleep(PAUSE_SECONDS / 2)
            errors_during = len(w.errors)
            ok_after_resume = w.writes
            assert wait_until(lambda: w.writes > ok_after_resume + 50, 60), proxy.output()
            assert errors_during > 0
    finally:
        proxy.stop()
