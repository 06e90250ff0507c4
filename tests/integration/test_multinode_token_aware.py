"""Issue 15, token-aware routing, on `tools/clusters up --source-nodes 3 --target-nodes 2`
(marker `multinode`): a prepared single-partition statement sent through the proxy is
coordinated, on each cluster, by a node that holds the partition's replica.

The oracle is the Python driver's own token map, connected straight to each cluster; the evidence
is each node's `system_views.clients.request_count` for the proxy's connections (127.0.0.1).
Keyspaces with replication factor 1 make the replica unique, and two groups of keys owned by two
different nodes make sure that no single connection could pass for token-aware routing."""

import struct
import time

import pytest

from admin_http import metric
from proxy_process import ProxyProcess
from test_multinode import hosts, node_session

pytestmark = pytest.mark.multinode

KS = "tandem_mn_token"
KEYS_PER_NODE = 150


@pytest.fixture(scope="module")
def direct():
    if len(hosts("source")) < 3 or len(hosts("target")) < 2:
        raise RuntimeError("these tests need `tools/clusters up --source-nodes 3 --target-nodes 2` "
                           "and its environment (eval \"$(tools/clusters env)\")")
    opened = {name: node_session(name, hosts(name)[0]) for name in ("source", "target")}
    yield opened
    for cluster, _ in opened.values():
        cluster.shutdown()


def proxy_requests_per_node(name):
    """{host: sum of request_count of the connections from 127.0.0.1} for each node of `name`."""
    out = {}
    for host in hosts(name):
        cluster, session = node_session(name, host)
        try:
            out[host] = sum(r.request_count or 0 for r in session.execute(
                "SELECT address, request_count FROM system_views.clients")
                if str(r.address) == "127.0.0.1")
        finally:
            cluster.shutdown()
    return out


def owner(cluster, key):
    return str(cluster.metadata.get_replicas(KS, struct.pack(">i", key))[0].address)


def test_a_prepared_write_is_coordinated_by_its_partitions_replica_on_each_cluster(direct):
    replication = {"source": 1, "target": 1}
    sessions = {name: s for name, (_, s) in direct.items()}
    for name, session in sessions.items():
        session.execute(f"DROP KEYSPACE IF EXISTS {KS}")
        session.execute(f"CREATE KEYSPACE {KS} WITH replication = {{'class': 'SimpleStrategy', "
                        f"'replication_factor': {replication[name]}}}")
        session.execute(f"CREATE TABLE {KS}.kv (k int PRIMARY KEY, v text)")
    for cluster, _ in direct.values():
        cluster.refresh_schema_metadata()
    # Two groups: keys whose single replica is source node 2 and target node 1, and keys whose
    # replica is source node 3 and target node 2.
    s_cluster, t_cluster = direct["source"][0], direct["target"][0]
    groups = {(hosts("source")[1], hosts("target")[0]): [], (hosts("source")[2], hosts("target")[1]): []}
    for k in range(20000):
        where = (owner(s_cluster, k), owner(t_cluster, k))
        if where in groups and len(groups[where]) < KEYS_PER_NODE:
            groups[where].append(k)
    assert all(len(keys) == KEYS_PER_NODE for keys in groups.values()), {g: len(k) for g, k in groups.items()}

    proxy = ProxyProcess(port=9177, yaml_text="  instances: [\"127.0.0.1:9177\"]\n").start()
    try:
        cluster, session = proxy.connect()
        try:
            insert = session.prepare(f"INSERT INTO {KS}.kv (k, v) VALUES (?, ?)")
            select = session.prepare(f"SELECT v FROM {KS}.kv WHERE k = ?")
            session.execute(insert, (-1, "warm-up"))  # the proxy learns the new keyspace's ring
            deadline = time.monotonic() + 30
            while metric(proxy, "tandem_token_aware_requests_total") == 0 and time.monotonic() < deadline:
                session.execute(insert, (-1, "warm-up"))
                time.sleep(0.5)
            routed_before = metric(proxy, "tandem_token_aware_requests_total")
            assert routed_before > 0, "no request was routed by token within 30 s"
            for (source_node, target_node), keys in groups.items():
                before = {name: proxy_requests_per_node(name) for name in ("source", "target")}
                for k in keys:
                    session.execute(insert, (k, f"v{k}"))
                after = {name: proxy_requests_per_node(name) for name in ("source", "target")}
                for name, node in (("source", source_node), ("target", target_node)):
                    delta = {h: after[name][h] - before[name][h] for h in hosts(name)}
                    assert delta[node] >= len(keys), f"{name}: {delta} (replica {node})"
                    others = sum(d for h, d in delta.items() if h != node)
                    assert others < len(keys) // 3, f"{name}: writes coordinated elsewhere: {delta}"
            # Reads go to the source only, each to its partition's replica as well.
            for (source_node, _), keys in groups.items():
                before = proxy_requests_per_node("source")
                for k in keys:
                    assert session.execute(select, (k,)).one().v == f"v{k}"
                after = proxy_requests_per_node("source")
                delta = {h: after[h] - before[h] for h in hosts("source")}
                assert delta[source_node] >= len(keys), f"reads: {delta} (replica {source_node})"
                assert sum(d for h, d in delta.items() if h != source_node) < len(keys) // 3, delta
            routed = metric(proxy, "tandem_token_aware_requests_total") - routed_before
            # Both legs of each write, and each read.
            assert routed >= 3 * sum(len(k) for k in groups.values())
        finally:
            cluster.shutdown()
    finally:
        proxy.stop()
