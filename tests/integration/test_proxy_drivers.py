"""Issue 3, done-means 6 (part): gocql through the proxy, protocol v3 and v4, and the row on both
clusters with the same WRITETIME."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import connect, node_settings
from proxy_process import ProxyProcess

GOCQL_DIR = Path(__file__).resolve().parent / "gocql_client"


@pytest.fixture(scope="module")
def gocql_client(tmp_path_factory):
    go = shutil.which("go")
    if go is None:
        raise RuntimeError("go is not installed: the gocql check needs the Go toolchain")
    out = tmp_path_factory.mktemp("gocql") / "gocql_client"
    build = subprocess.run([go, "build", "-o", str(out), "."], cwd=GOCQL_DIR,
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr
    return str(out)


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
