"""Shared settings for the integration tests against the local clusters of tools/clusters.

Connection settings come from the variables `eval "$(tools/clusters env)"` exports; without them the
plain defaults apply (source 127.0.0.2:9042, target 127.0.0.3:9042, no auth, no TLS). A cluster that
does not answer makes the tests fail, never skip: start the clusters with `tools/clusters up`.
"""

import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest

import proxy_process
from proxy_process import run_tandem

REPO_ROOT = Path(__file__).resolve().parents[2]

DEFAULTS = {
    "source": ("127.0.0.2", "tandem-source"),
    "target": ("127.0.0.3", "tandem-target"),
}
# Where tools/clusters keeps each node's files, its pid file among them.
STATE_DIR = Path(os.environ.get("TANDEM_STATE_DIR", Path.home() / ".cache" / "tandem" / "clusters"))


@dataclass(frozen=True)
class NodeSettings:
    name: str
    host: str
    port: int
    cluster_name: str
    user: Optional[str]
    password: Optional[str]
    tls_ca: Optional[str]

    @property
    def auth(self) -> bool:
        return bool(self.user)


def _env(name: str, default: Optional[str] = None) -> Optional[str]:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def tls_ca_path() -> Optional[str]:
    if _env("TANDEM_TLS", "0") != "1":
        return None
    ca = _env("TANDEM_TLS_CA")
    if not ca or not Path(ca).is_file():
        raise RuntimeError(f"TANDEM_TLS=1 but TANDEM_TLS_CA ({ca!r}) is not a file")
    return ca


def node_settings(name: str) -> NodeSettings:
    prefix = f"TANDEM_{name.upper()}_"
    host, cluster_name = DEFAULTS[name]
    return NodeSettings(
        name=name,
        host=_env(prefix + "HOST", host),
        port=int(_env(prefix + "PORT", "9042")),
        cluster_name=_env(prefix + "CLUSTER_NAME", cluster_name),
        user=_env(prefix + "USER"),
        password=_env(prefix + "PASSWORD"),
        tls_ca=tls_ca_path(),
    )


def ssl_context_for(node: NodeSettings) -> Optional[ssl.SSLContext]:
    if not node.tls_ca:
        return None
    ctx = ssl.create_default_context(cafile=node.tls_ca)
    ctx.check_hostname = True  # the server certificate names 127.0.0.1-3 as IP addresses
    return ctx


def connect(node: NodeSettings, protocol_version: int):
    """Returns (cluster, session) connected to exactly this node; raises if it does not answer."""
    from cassandra.auth import PlainTextAuthProvider
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
    from cassandra.policies import ConstantReconnectionPolicy, WhiteListRoundRobinPolicy

    profile = ExecutionProfile(load_balancing_policy=WhiteListRoundRobinPolicy([node.host]), request_timeout=15)
    auth = PlainTextAuthProvider(node.user, node.password) if node.auth else None
    cluster = Cluster(
        contact_points=[node.host],
        port=node.port,
        protocol_version=protocol_version,
        auth_provider=auth,
        ssl_context=ssl_context_for(node),
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
        connect_timeout=10,
        control_connection_timeout=10,
        # Every second, not the driver's exponential backoff (up to 10 min): a session kept
        # across modules (backfill_direct) must be usable again soon after a test restarted its
        # node (test_proxy_journal stops the target), not fail NoHostAvailable for minutes.
        reconnection_policy=ConstantReconnectionPolicy(1.0, max_attempts=None),
    )
    try:
        return cluster, cluster.connect()
    except Exception:
        cluster.shutdown()
        raise


# Replication for the tests' keyspaces: each cluster has one node.
ONE_REPLICA = "{'class': 'SimpleStrategy', 'replication_factor': 1}"


def create_keyspace(session, name: str):
    """CREATE KEYSPACE IF NOT EXISTS `name` with ONE_REPLICA."""
    session.execute(f"CREATE KEYSPACE IF NOT EXISTS {name} WITH replication = {ONE_REPLICA}")


def wait_until(predicate, seconds: float) -> bool:
    """True as soon as predicate() is, polled every 0.2 s; False after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def mirrored(read, direct, timeout: float = 30.0):
    """(source's, target's) results of read(session) once they are equal, or as they are at the
    deadline. In source_authoritative mode the client's answer does not wait for the target's
    copy, so a test reading the target right after writing through the proxy must allow the
    copies still in flight to land."""
    deadline = time.monotonic() + timeout
    while True:
        source, target = read(direct["source"]), read(direct["target"])
        if source == target or time.monotonic() > deadline:
            return source, target
        time.sleep(0.2)


JOURNAL_FACT_PREFIXES = ("journal_pending:", "journal_dead_letters:", "journal_gap", "unreplayed:")


def forget_journal_facts(target_session, state_keyspace: str = "tandem"):
    """Deletes what test proxies' journals recorded for the cutover gate on the target
    (backfill/journal_facts.hpp): a test that checks the gate must not see the pending records
    of another test's proxy, stopped before its journal drained."""
    from cassandra import InvalidRequest
    try:
        rows = list(target_session.execute(f"SELECT name FROM {state_keyspace}.migration_state"))
    except InvalidRequest:
        return  # no state table yet
    for row in rows:
        if row.name.startswith(JOURNAL_FACT_PREFIXES):
            target_session.execute(f"DELETE FROM {state_keyspace}.migration_state WHERE name = %s",
                                   (row.name,))


@pytest.fixture
def settled_rings():
    """Multi-node tests: every node of both rings answers and shares one schema version before
    the test starts (ring_health.settle restarts a node that lags, and says so)."""
    import ring_health  # imports this module: import it only when a multi-node test runs
    ring_health.settle()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test's report ends with the last lines of every proxy still running."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for p in proxy_process.RUNNING:
            report.sections.append((f"tandem proxy on port {p.port}", p.output()))


@pytest.fixture(scope="session")
def java_command():
    """A function of a class name giving the `java -cp ... CLASS` command of one of the Java
    driver programs in java_client/, built once by Maven (tools/deps installs it and the JDK)."""
    java_dir = Path(__file__).resolve().parent / "java_client"
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("mvn is not installed: run tools/deps")
    build = subprocess.run([mvn, "-B", "-q", "package", "dependency:build-classpath",
                            "-Dmdep.outputFile=target/classpath.txt"],
                           cwd=java_dir, capture_output=True, text=True, timeout=900)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    classpath = (java_dir / "target" / "classpath.txt").read_text().strip()
    return lambda main_class: ["java", "-cp",
                               f"{java_dir / 'target' / 'java-client-1.jar'}:{classpath}",
                               main_class]


def recreate_keyspace(session, name: str):
    """`name` dropped if it exists and created again, empty, with ONE_REPLICA."""
    session.execute(f"DROP KEYSPACE IF EXISTS {name}")
    session.execute(f"CREATE KEYSPACE {name} WITH replication = {ONE_REPLICA}")


def write_and_read_kv(session, keyspace: str, rows: int, read_key: int):
    """`keyspace` and its table kv (k int PRIMARY KEY, v int) made if missing, the rows k = v for
    k in range(rows) written, and the row read_key read back: traffic for the tests that read
    the proxy's numbers."""
    create_keyspace(session, keyspace)
    session.execute(f"CREATE TABLE IF NOT EXISTS {keyspace}.kv (k int PRIMARY KEY, v int)")
    for k in range(rows):
        session.execute(f"INSERT INTO {keyspace}.kv (k, v) VALUES (%s, %s)", (k, k))
    session.execute(f"SELECT * FROM {keyspace}.kv WHERE k = {read_key}")


def cassandra_pid(name: str) -> int:
    """The process id of cluster `name`'s Cassandra; raises if it does not run (the test fails,
    never skips)."""
    pid = int((STATE_DIR / name / "cassandra.pid").read_text().strip())
    os.kill(pid, 0)
    return pid


def target_pid() -> int:
    return cassandra_pid("target")


@contextmanager
def cluster_paused(name: str):
    """Cluster `name`'s Cassandra stopped (SIGSTOP) for the with-block and continued (SIGCONT)
    after it, whatever the block raises: a node that stops answering but keeps its connections
    open."""
    pid = cassandra_pid(name)
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def target_paused():
    return cluster_paused("target")


@contextmanager
def target_stopped():
    """The target's Cassandra stopped by tools/clusters (the process ends, its connections close)
    for the with-block and started again after it (which waits until it answers CQL)."""
    clusters = str(REPO_ROOT / "tools" / "clusters")
    subprocess.run([clusters, "stop", "target"], check=True, timeout=120, capture_output=True)
    try:
        yield
    finally:
        subprocess.run([clusters, "start", "target"], check=True, timeout=300, capture_output=True)


def cqlsh_path() -> str:
    candidate = Path(sys.executable).parent / "cqlsh"
    if candidate.is_file():
        return str(candidate)
    found = shutil.which("cqlsh")
    if not found:
        raise RuntimeError("cqlsh not found: run the tests with the virtualenv from tools/venv")
    return found


@pytest.fixture(params=["source", "target"])
def node(request) -> NodeSettings:
    return node_settings(request.param)


@pytest.fixture
def connect_to():
    """connect_to(node, protocol_version) -> (cluster, session); clusters are shut down after the test."""
    opened = []

    def _connect(node: NodeSettings, protocol_version: int):
        cluster, session = connect(node, protocol_version)
        opened.append(cluster)
        return cluster, session

    yield _connect
    for cluster in opened:
        cluster.shutdown()


@pytest.fixture
def cqlsh() -> str:
    return cqlsh_path()


def sessions_to_both():
    """Yields {"source": session, "target": session}, each straight to its cluster (never through
    the proxy), to check what the proxy or the backfill wrote; shuts them down after."""
    opened = {name: connect(node_settings(name), 4) for name in ("source", "target")}
    yield {name: session for name, (_, session) in opened.items()}
    for cluster, _ in opened.values():
        cluster.shutdown()


@pytest.fixture(scope="module")
def direct():
    """sessions_to_both(), for one test module."""
    yield from sessions_to_both()


# The backfill fixture (tools/backfill_fixture.py, 200,000 rows in keyspace tandem_bf) loaded
# directly into the source once per pytest run, with its schema applied to the target;
# test_backfill.py and test_validate.py share it.
BACKFILL_KEYSPACE = "tandem_bf"


@pytest.fixture(scope="session")
def backfill_direct():
    """sessions_to_both(), for the whole run: the backfill fixture is loaded with them."""
    yield from sessions_to_both()


@pytest.fixture(scope="session")
def backfill_fixture(backfill_direct):
    scale = os.environ.get("TANDEM_BACKFILL_SCALE", "1")
    load = subprocess.run([sys.executable, str(REPO_ROOT / "tools" / "backfill_fixture.py"),
                           "--host", node_settings("source").host, "--scale", scale],
                          capture_output=True, text=True, timeout=900)
    assert load.returncode == 0, load.stdout + load.stderr
    backfill_direct["target"].execute(f"DROP KEYSPACE IF EXISTS {BACKFILL_KEYSPACE}")
    schema = run_tandem(["schema", "apply"], env={"TANDEM_BACKFILL_KEYSPACES": BACKFILL_KEYSPACE},
                        timeout=300)
    assert schema.returncode == 0, schema.stdout + schema.stderr
    assert f'creating: CREATE TABLE IF NOT EXISTS "{BACKFILL_KEYSPACE}"."events"' in schema.stdout
    return True


def build_go_program(tmp_path_factory, name: str) -> str:
    """The Go program in tests/integration/<name>, built into a temporary directory."""
    go = shutil.which("go")
    if go is None:
        raise RuntimeError("go is not installed: the gocql check needs the Go toolchain")
    out = tmp_path_factory.mktemp(name) / name
    build = subprocess.run([go, "build", "-o", str(out), "."],
                           cwd=Path(__file__).resolve().parent / name,
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr
    return str(out)


def npm_installed(directory: Path, package: str) -> str:
    """The node binary, after `npm ci` in `directory` when node_modules/<package> is missing."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise RuntimeError("node and npm are needed (tools/deps installs nodejs)")
    if not (directory / "node_modules" / package).is_dir():
        install = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=directory,
                                 capture_output=True, text=True, timeout=600)
        assert install.returncode == 0, install.stdout + install.stderr
    return node


@pytest.fixture(scope="session")
def gocql_client(tmp_path_factory):
    """The gocql test program (tests/integration/gocql_client), built once per run."""
    return build_go_program(tmp_path_factory, "gocql_client")
