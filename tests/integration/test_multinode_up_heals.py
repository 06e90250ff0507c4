"""`tools/clusters up` on a multi-node ring restarts a node that lags, once, and says so: CI's
multi-node phase once stopped at "the nodes did not all see each other" (a ring that had not
formed in 180 s), and a node of a fresh ring once missed the first schema change for good. A node
frozen with SIGSTOP stands in for both (it answers nothing): `up` must restart it, name it in a
warning, and succeed with the ring whole again. Runs last in the multi-node phase (module
order), on a ring the other tests leave running."""

import os
import signal
import subprocess

import pytest

import ring_health
from conftest import cassandra_pid

pytestmark = [pytest.mark.multinode, pytest.mark.usefixtures("settled_rings")]


def test_up_restarts_a_frozen_node_with_a_warning_and_the_ring_is_whole_again():
    hosts = ring_health.hosts("source")
    if len(hosts) < 3:
        raise RuntimeError("this test needs `tools/clusters up --source-nodes 3 --target-nodes 2`")
    frozen = cassandra_pid("source3")
    os.kill(frozen, signal.SIGSTOP)
    try:
        up = subprocess.run([ring_health.CLUSTERS, "up", "--source-nodes", "3", "--target-nodes", "2"],
                            env={**os.environ, "TANDEM_RING_HEAL_AFTER": "15"},
                            capture_output=True, text=True, timeout=900)
    finally:
        try:
            os.kill(frozen, signal.SIGCONT)  # only matters if `up` left it frozen
        except ProcessLookupError:
            pass
    assert up.returncode == 0, up.stdout + up.stderr
    assert "source:3 lists ? peers, not 2, after 15s" in up.stderr, up.stderr
    assert "warning: the source ring did not form within 15s; restarting source:3" in up.stderr, \
        up.stderr
    assert cassandra_pid("source3") != frozen
    # Every node answers and all agree on the schema (what `up` waited for, read here anew).
    versions = {h: ring_health.schema_version("source", h) for h in hosts}
    assert None not in versions.values() and len(set(versions.values())) == 1, versions
