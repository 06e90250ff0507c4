"""The two local clusters started by `tools/clusters up` answer CQL as Cassandra 5.0 and run with the
configuration the repository holds (tools/cassandra/), which names nothing outside the repository.

Run:  eval "$(tools/clusters env)" && "$(tools/venv)/bin/python" -m pytest tests/integration
"""

import os
import re
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import REPO_ROOT

NODE_CONFIG = REPO_ROOT / "tools" / "cassandra"


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


def state_dir() -> Path:
    return Path(os.environ.get("TANDEM_CLUSTERS_STATE_DIR") or Path.home() / ".cache" / "tandem" / "clusters")


def base_yaml_scalars() -> dict:
    """The top-level `key: value` lines of tools/cassandra/cassandra.yaml."""
    pairs = re.findall(r"^([a-z_]+):[ \t]*(\S[^#\n]*?)[ \t]*$", (NODE_CONFIG / "cassandra.yaml").read_text(), re.M)
    return dict(pairs)


def jvm_options() -> list:
    lines = (line.strip() for line in (NODE_CONFIG / "jvm.options").read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def test_nothing_in_the_repository_reads_configuration_from_outside_it():
    """A clone has no ../shared beside it and no /work: no tracked file may point there."""
    outside = ("../shared", "shared/cassandra", "/work/")
    this = Path(__file__).resolve()
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True)
    files = [REPO_ROOT / name for name in listed.stdout.decode().split("\0") if name]
    assert len(files) > 100, f"git ls-files listed only {len(files)} files"
    hits = []
    for path in files:
        if path.resolve() == this or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # captured frames and other binary test data
        for number, line in enumerate(text.splitlines(), 1):
            if any(s in line for s in outside):
                hits.append(f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}")
    assert not hits, "references to configuration outside the repository:\n" + "\n".join(hits)


def test_node_runs_with_the_configuration_in_the_repository(node, connect_to):
    yaml = (state_dir() / node.name / "conf" / "cassandra.yaml").read_text()
    assert yaml.startswith((NODE_CONFIG / "cassandra.yaml").read_text()), \
        f"{node.name}: its cassandra.yaml does not start with tools/cassandra/cassandra.yaml"

    pid = (state_dir() / node.name / "cassandra.pid").read_text().strip()
    command_line = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    flags = jvm_options()
    assert "--add-opens=java.base/java.nio=ALL-UNNAMED" in flags
    missing = [flag for flag in flags if flag not in command_line]
    assert not missing, f"{node.name} (pid {pid}) runs without {missing}"

    expected = base_yaml_scalars()
    assert {"partitioner", "endpoint_snitch", "commitlog_sync", "num_tokens"} <= expected.keys(), expected
    _, session = connect_to(node, 4)
    rows = session.execute("SELECT name, value FROM system_views.settings")
    actual = {row.name: row.value for row in rows if row.name in expected}
    assert actual == expected, f"{node.name}: settings in effect differ from tools/cassandra/cassandra.yaml"


@pytest.mark.parametrize("stored, wanted", [((3, 2), (1, 1)), ((1, 1), (3, 2))],
                         ids=["3+2-data-started-as-1+1", "1+1-data-started-as-3+2"])
def test_up_refuses_stopped_data_of_another_ring(stored, wanted):
    """Node 1 of a 3-node source started alone keeps the other two in its ring (system.peers):
    most writes fail Unavailable with alive_replicas 0 and schema changes hang, as a CI run whose
    state directory held an earlier run's multi-node data showed. `up` names that and starts
    nothing. A state directory of its own: the flags file and one non-empty data directory."""
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        (state / "flags.env").write_text(
            f"version=5.0.9\nauth=0\ntls=0\ntarget_rate_limit=\n"
            f"source_nodes={stored[0]}\ntarget_nodes={stored[1]}\n")
        (state / "source" / "data" / "data" / "system").mkdir(parents=True)
        env = dict(os.environ, TANDEM_STATE_DIR=tmp)
        result = subprocess.run([str(REPO_ROOT / "tools" / "clusters"), "up",
                                 "--source-nodes", str(wanted[0]), "--target-nodes", str(wanted[1])],
                                capture_output=True, text=True, timeout=120, env=env)
        assert result.returncode != 0, result.stdout + result.stderr
        assert (f"data belongs to a {stored[0]}-node source and a {stored[1]}-node target"
                in result.stderr), result.stderr
        assert "down --wipe" in result.stderr
        assert not (state / "source" / "cassandra.pid").exists()   # nothing was started


def test_down_wipe_succeeds_on_a_fresh_state_directory():
    """A clean clone has no state directory: tools/test's first `down --wipe` must succeed there
    (it exited 1 when the node-directory globs matched nothing, and every phase was skipped)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, TANDEM_STATE_DIR=str(Path(tmp) / "clusters"))
        result = subprocess.run([str(REPO_ROOT / "tools" / "clusters"), "down", "--wipe"],
                                capture_output=True, text=True, timeout=120, env=env)
        assert result.returncode == 0, result.stdout + result.stderr
