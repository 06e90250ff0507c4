"""Issue 3, done-means 6: gocql (protocol v3, v4) and a Java-driver 4.x program (v4, v5, built
with Maven from Maven Central) through the proxy, and their rows on both clusters with the same
values and WRITETIME. (cqlsh is in test_proxy_writes.py.)"""

import subprocess
import time

import pytest

from conftest import connect, node_settings
from proxy_process import ProxyProcess

@pytest.fixture(scope="module")
def proxy():
    p = ProxyProcess(port=9145, yaml_text="  instances: [\"127.0.0.1:9145\"]\n").start()
    yield p
    p.stop()


@pytest.mark.parametrize("version", [3, 4])
def test_gocql_writes_and_reads_through_the_proxy(gocql_client, proxy, version):
    run = subprocess.run([gocql_client, proxy.host, str(proxy.port), str(version)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr + proxy.output()
    assert "read: from gocql" in run.stdout
    writetimes = set()
    for name in ("source", "target"):
        cluster, session = connect(node_settings(name), 4)
        try:
            row = session.execute("SELECT v, WRITETIME(v) AS wt FROM tandem_gocql.kv WHERE k = %s",
                                  (version,)).one()
        finally:
            cluster.shutdown()
        assert row is not None and row.v == "from gocql"
        writetimes.add(row.wt)
    assert len(writetimes) == 1


@pytest.fixture(scope="module")
def java_client(java_command):
    return java_command("tandem.JavaClient")


@pytest.mark.parametrize("version", ["V4", "V5"])
def test_java_driver_writes_and_reads_through_the_proxy(java_client, proxy, version):
    source_cluster, source = connect(node_settings("source"), 4)
    target_cluster, target = connect(node_settings("target"), 4)
    try:
        dc = source.execute("SELECT data_center FROM system.local").one().data_center
        ks = f"tandem_java_{version.lower()}"
        run = subprocess.run(java_client + [proxy.host, str(proxy.port), dc, version, ks],
                             capture_output=True, text=True, timeout=180)
        assert run.returncode == 0, run.stdout + run.stderr + proxy.output()
        lines = run.stdout.splitlines()
        assert f"nodes /{proxy.host}:{proxy.port}" in lines  # only the proxy in its metadata
        assert f"protocol {version}" in lines
        assert "rows 23" in lines
        query = f"SELECT k, v, t, WRITETIME(v) AS wt FROM {ks}.items"
        deadline = time.monotonic() + 10
        while True:  # the target's copy may trail the client's answer by a moment
            on_source, on_target = sorted(source.execute(query)), sorted(target.execute(query))
            if (len(on_target) == 23 and on_source == on_target) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert len(on_source) == 23
        assert on_source == on_target
    finally:
        source_cluster.shutdown()
        target_cluster.shutdown()
