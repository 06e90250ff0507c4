"""A multi-node ring that agrees on its schema before a multi-node test uses it.

On this 2-core machine five Cassandra JVMs share the CPU with the proxy and the drivers; a node
that stalls for seconds (a CI run logged "local pause of 6446163970ns") can miss a schema push
and stay on its old schema version for minutes: every read at ALL then fails with
INCOMPATIBLE_SCHEMA from that node, whatever the proxy did. That is the ring's fault, not the
code under test, so `settle()` checks each node's own `system.local.schema_version` and, when a
node stays behind, restarts it (`tools/clusters stop/start`: a starting node pulls the schema
from its peers). Every restart is reported (stderr and a pytest warning), so a ring that needed
healing is never silent; a ring that cannot be healed raises with the versions it saw.
"""

import collections
import dataclasses
import os
import subprocess
import sys
import time
import warnings

from conftest import REPO_ROOT, connect, node_settings

CLUSTERS = str(REPO_ROOT / "tools" / "clusters")


def hosts(name):
    value = os.environ.get(f"TANDEM_{name.upper()}_HOSTS", "")
    return [h for h in value.split(",") if h]


def node_label(name, host):
    """`tools/clusters`' name of the node at `host`: node K listens on the K-th address of
    TANDEM_<SIDE>_HOSTS (tools/clusters env)."""
    return f"{name}:{hosts(name).index(host) + 1}"


def node_session(name, host):
    """(cluster, session) to exactly the node at `host` of cluster `name`."""
    return connect(dataclasses.replace(node_settings(name), host=host), 4)


def schema_version(name, host):
    """The node's own schema version, or None if it does not answer."""
    try:
        cluster, session = node_session(name, host)
    except Exception:  # noqa: BLE001 - a node that does not answer is what we look for
        return None
    try:
        return session.execute("SELECT schema_version FROM system.local").one().schema_version
    except Exception:  # noqa: BLE001
        return None
    finally:
        cluster.shutdown()


def laggards(versions):
    """Hosts not on the schema most nodes share (ties go to the first node's version), and hosts
    that did not answer. Pure: {host: version or None} in node order -> sorted list of hosts."""
    answered = [v for v in versions.values() if v is not None]
    if not answered:
        return sorted(versions)
    counts = collections.Counter(answered)
    first = next(iter(versions.values()))
    best = max(counts.values())
    majority = first if counts.get(first) == best else counts.most_common(1)[0][0]
    return sorted(h for h, v in versions.items() if v != majority)


def wait_for_agreement(name, seconds):
    """{host: version} of `name`'s nodes once they agree, or the last view at the deadline."""
    deadline = time.monotonic() + seconds
    while True:
        versions = {h: schema_version(name, h) for h in hosts(name)}
        if not laggards(versions) or time.monotonic() >= deadline:
            return versions
        time.sleep(1.0)


def settle(names=("source", "target"), wait=30.0, after_restart=120.0):
    """Returns once every node of each cluster in `names` answers and shares one schema
    version; restarts a node that lags after `wait` seconds; raises RuntimeError if the ring
    still disagrees `after_restart` seconds later."""
    for name in names:
        versions = wait_for_agreement(name, wait)
        behind = laggards(versions)
        if not behind:
            continue
        for host in behind:
            label = node_label(name, host)
            state = ("does not answer" if versions[host] is None
                     else f"is on schema {versions[host]}, its peers are not")
            note = f"ring_health: {label} ({host}) {state} ({versions}); restarting it"
            print(note, file=sys.stderr)
            warnings.warn(note)
            subprocess.run([CLUSTERS, "stop", label], timeout=120, capture_output=True)
            subprocess.run([CLUSTERS, "start", label], check=True, timeout=300,
                           capture_output=True)
        versions = wait_for_agreement(name, after_restart)
        if laggards(versions):
            raise RuntimeError(f"the {name} cluster's nodes still disagree on the schema after "
                               f"restarting {behind}: {versions}")
