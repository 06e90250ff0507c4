"""Issue 3, done-means 6: gocql (protocol v3, v4) and a Java-driver 4.x program (v4, v5, built
with Maven from Maven Central) through the proxy, and their rows on both clusters with the same
values and WRITETIME. Issue 18: Apache's gocql v2 with protocol v5 (plain and lz4) and the
DataStax Node.js driver (npm, v3 and v4). (cqlsh is in test_proxy_writes.py.) The README's driver
table lists what these tests cover."""

import json
import re
import subprocess
import time
from pathlib import Path

import pytest

from conftest import build_go_program, connect, node_settings, npm_installed
from proxy_process import ProxyProcess

@pytest.fixture(scope="module")
def proxy():
    p = ProxyProcess(port=9145, yaml_text="  instances: [\"127.0.0.1:9145\"]\n").start()
    yield p
    p.stop()


GOCQL_VERSIONS = [3, 4]
GOCQL_V5_CASES = [("none", 50), ("lz4", 51)]
NODE_CASES = [(3, 60), (4, 70)]
JAVA_VERSIONS = ["V4", "V5"]


@pytest.mark.parametrize("version", GOCQL_VERSIONS)
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


def same_on_both(query, params, expected_v):
    """Reads `query` on both clusters directly; asserts the row is on both with one WRITETIME."""
    writetimes = set()
    deadline = time.monotonic() + 10
    for name in ("source", "target"):
        cluster, session = connect(node_settings(name), 4)
        try:
            while True:  # the target's copy may trail the client's answer by a moment
                row = session.execute(query, params).one()
                if row is not None or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
        finally:
            cluster.shutdown()
        assert row is not None and row.v == expected_v, (name, row)
        writetimes.add(row.wt)
    assert len(writetimes) == 1, writetimes


@pytest.fixture(scope="module")
def gocql_v5_client(tmp_path_factory):
    """Apache's gocql v2 program (tests/integration/gocql_v5_client), built once per run."""
    return build_go_program(tmp_path_factory, "gocql_v5_client")


@pytest.mark.parametrize("compression,key", GOCQL_V5_CASES)
def test_gocql_v2_with_protocol_v5_writes_and_reads_through_the_proxy(gocql_v5_client, proxy,
                                                                      compression, key):
    run = subprocess.run([gocql_v5_client, proxy.host, str(proxy.port), compression, str(key)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr + proxy.output()
    assert f"read: from gocql v5 {compression}" in run.stdout
    assert "protocol 5" in run.stdout
    same_on_both("SELECT v, WRITETIME(v) AS wt FROM tandem_gocql.kv WHERE k = %s", (key,),
                 f"from gocql v5 {compression}")


@pytest.fixture(scope="module")
def node_client():
    """[node, client.mjs] of tests/integration/node_client, after `npm ci` there."""
    here = Path(__file__).resolve().parent / "node_client"
    return [npm_installed(here, "cassandra-driver"), str(here / "client.mjs")]


@pytest.mark.parametrize("version,key", NODE_CASES)
def test_node_driver_writes_and_reads_through_the_proxy(node_client, proxy, version, key):
    source_cluster, source = connect(node_settings("source"), 4)
    try:
        dc = source.execute("SELECT data_center FROM system.local").one().data_center
    finally:
        source_cluster.shutdown()
    run = subprocess.run(node_client + [proxy.host, str(proxy.port), str(version), dc, str(key)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr + proxy.output()
    lines = run.stdout.splitlines()
    assert f"rows {key}=from node,{key + 1}=batch,{key + 2}=batch" in lines, lines
    assert f"hosts {proxy.host}:{proxy.port}" in lines, lines  # only the proxy in its metadata
    assert any(l.endswith(f"version {version}") for l in lines), lines
    for k, v in ((key, "from node"), (key + 2, "batch")):
        same_on_both("SELECT v, WRITETIME(v) AS wt FROM tandem_node.kv WHERE k = %s", (k,), v)


@pytest.fixture(scope="module")
def java_client(java_command):
    return java_command("tandem.JavaClient")


@pytest.mark.parametrize("version", JAVA_VERSIONS)
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


def _versions(vs):
    return ", ".join(f"v{v}" for v in vs)


def test_the_readme_driver_table_is_what_the_tests_run():
    """The README's driver table: each version is the one pinned for the tests, each protocol
    list is what the tests above (and test_proxy_writes.py's CASES) run."""
    from conftest import REPO_ROOT
    from test_proxy_writes import CASES
    here = Path(__file__).resolve().parent
    readme = (REPO_ROOT / "README.md").read_text()
    table = readme.split("<!-- drivers -->", 1)[1].split("<!-- /drivers -->", 1)[0]
    rows = {}
    for line in table.strip().splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows[cells[0]] = cells[1:4]
    requirements = (here / "requirements.txt").read_text()
    pinned = lambda name: re.search(rf"^{name}==(\S+)", requirements, re.M).group(1)
    pom = (here / "java_client" / "pom.xml").read_text()
    java = re.search(r"<artifactId>java-driver-core</artifactId>\s*<version>([^<]+)<", pom).group(1)
    gocql = re.search(r"github.com/gocql/gocql v(\S+)", (here / "gocql_client" / "go.mod").read_text()).group(1)
    gocql2 = re.search(r"cassandra-gocql-driver/v2 v(\S+)",
                       (here / "gocql_v5_client" / "go.mod").read_text()).group(1)
    node = json.loads((here / "node_client" / "package.json").read_text())["dependencies"]["cassandra-driver"]
    expected = {
        "Python `cassandra-driver`": [pinned("cassandra-driver"), _versions(sorted({v for v, _ in CASES}))],
        "cqlsh": [pinned("cqlsh"), "negotiated"],
        "Java driver (`java-driver-core`)": [java, ", ".join(v.lower() for v in JAVA_VERSIONS)],
        "gocql (`github.com/gocql/gocql`)": [gocql, _versions(GOCQL_VERSIONS)],
        "Apache gocql v2 (`github.com/apache/cassandra-gocql-driver/v2`)": [gocql2, "v5"],
        "Node.js `cassandra-driver` (DataStax, npm)": [node, _versions(v for v, _ in NODE_CASES)],
    }
    assert set(rows) == set(expected), sorted(rows)
    for name, (version, protocols) in expected.items():
        assert rows[name][0] == version, (name, rows[name][0], version)
        assert rows[name][1] == protocols, (name, rows[name][1], protocols)
    assert rows["Apache gocql v2 (`github.com/apache/cassandra-gocql-driver/v2`)"][2] == \
        ", ".join(c for c, _ in GOCQL_V5_CASES)
