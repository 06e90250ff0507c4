"""The two local clusters started by `tools/clusters up` answer CQL as Cassandra 5.0.

Run:  eval "$(tools/clusters env)" && "$(tools/venv)/bin/python" -m pytest tests/integration
"""

import os
import subprocess
import tempfile

import pytest


@pytest.mark.parametrize("protocol_version", [4, 5], ids=["v4", "v5"])
def test_driver_reads_release_version_and_cluster_name(node, protocol_version, connect_to):
    cluster, session = connect_to(node, protocol_version)
    row = session.execute("SELECT release_version, cluster_name FROM system.local").one()
    assert row is not None, f"{node.name}: system.local returned no row"
    assert row.release_version.startswith("5.0"), f"{node.name}: release_version {row.release_version!r}"
    assert row.cluster_name == node.cluster_name
    assert cluster.protocol_version == protocol_version
    assert [str(host.endpoint.address) for host in cluster.metadata.all_hosts()] == [node.host]


def test_cqlsh_reads_release_version(node, cqlsh):
    with tempfile.TemporaryDirectory() as home:
        cqlshrc = os.path.join(home, "cqlshrc")
        open(cqlshrc, "w").close()  # keep a developer's ~/.cassandra/cqlshrc out of the test
        cmd = [cqlsh, "--cqlshrc", cqlshrc, "--connect-timeout", "10", "--request-timeout", "15"]
        env = dict(os.environ, HOME=home)
        if node.auth:
            cmd += ["-u", node.user, "-p", node.password]
        if node.tls_ca:
            cmd += ["--ssl"]
            env.update(SSL_CERTFILE=node.tls_ca, SSL_VALIDATE="true")
        cmd += [node.host, str(node.port), "-e", "SELECT release_version FROM system.local"]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, f"cqlsh against {node.name} failed:\n{result.stdout}\n{result.stderr}"
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert "release_version" in lines, result.stdout
    assert any(line.startswith("5.0.") for line in lines), result.stdout
    assert "(1 rows)" in lines, result.stdout
