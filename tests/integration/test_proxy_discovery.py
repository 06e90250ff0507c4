"""Issue 3, connections: client connections go to the nodes discovered from system.local and
system.peers_v2, not blindly to the configured contact points. A contact point where nothing
listens is probed, found dead and never used for clients: every client connection works."""

import time

from conftest import connect, create_keyspace, node_settings
from proxy_process import ProxyProcess

PORT = 9157
DEAD = "127.0.0.9"  # loopback, nothing listens there: connections are refused at once


def test_client_connections_use_the_discovered_nodes_only():
    source, target = node_settings("source"), node_settings("target")
    yaml = (f"  instances: [\"127.0.0.1:{PORT}\"]\n"
            f"source:\n  contact_points: [{DEAD}, {source.host}]\n  connect_timeout: 2s\n"
            f"target:\n  contact_points: [{DEAD}, {target.host}]\n  connect_timeout: 2s\n")
    proxy = ProxyProcess(port=PORT, yaml_text=yaml).start()
    try:
        log = proxy.output_all()
        assert f"source nodes: {source.host}:9042" in log, log
        assert f"target nodes: {target.host}:9042" in log, log
        for i in range(4):  # each driver opens its own client connections
            cluster = proxy.client()
            try:
                session = cluster.connect()
                if i == 0:
                    create_keyspace(session, "tandem_discovery")
                    session.execute("CREATE TABLE IF NOT EXISTS tandem_discovery.kv "
                                    "(k int PRIMARY KEY, v int)")
                session.execute("INSERT INTO tandem_discovery.kv (k, v) VALUES (%s, %s)", (i, i))
            finally:
                cluster.shutdown()
        assert "failed" not in proxy.output_all(), proxy.output()
    finally:
        proxy.stop()
    for node in (source, target):
        cluster, session = connect(node, 4)
        try:
            deadline = time.monotonic() + 10
            while True:
                keys = sorted(r.k for r in session.execute("SELECT k FROM tandem_discovery.kv"))
                if keys == [0, 1, 2, 3] or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            assert keys == [0, 1, 2, 3]
        finally:
            cluster.shutdown()
