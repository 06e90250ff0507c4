"""Starts and stops a real `tandem proxy` process for the integration tests, and runs the other
tandem commands (backfill, validate, schema, cutover) the same way: run_tandem, start_tandem.

The binary is $TANDEM_BIN (tools/test points it at the sanitizer build) or build/tandem. The proxy
listens on 127.0.0.1:$TANDEM_PROXY_TEST_PORT (default 9042) in front of the clusters that
`tools/clusters` started. Readiness is a real CQL handshake through the proxy, never a sleep.
"""

import os
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
from cassandra.policies import WhiteListRoundRobinPolicy

REPO_ROOT = Path(__file__).resolve().parents[2]


def proxy_binary() -> str:
    path = os.environ.get("TANDEM_BIN") or str(REPO_ROOT / "build" / "tandem")
    if not Path(path).is_file():
        raise RuntimeError(f"{path} does not exist: run tools/build first")
    return path


def _options_roundtrip(host: str, port: int, tls: ssl.SSLContext = None) -> bool:
    """True when an OPTIONS request through the proxy gets a SUPPORTED answer."""
    try:
        with socket.create_connection((host, port), timeout=1) as raw:
            s = tls.wrap_socket(raw, server_hostname=host) if tls else raw
            s.sendall(bytes.fromhex("040000000500000000"))
            header = s.recv(9)
            return len(header) == 9 and header[4] == 0x06
    except OSError:
        return False


def proxy_environment(environ) -> dict:
    """The test bed's variables (tools/clusters env: TANDEM_SOURCE_HOST, ...) are not proxy
    configuration keys, and the proxy refuses unknown TANDEM_<SECTION>_* variables: they are
    left out, and the target's credentials are passed under the proxy's own key names."""
    env = {k: v for k, v in environ.items()
           if not k.startswith(("TANDEM_SOURCE_", "TANDEM_TARGET_", "TANDEM_TLS"))}
    if environ.get("TANDEM_TARGET_USER"):
        env["TANDEM_TARGET_USERNAME"] = environ["TANDEM_TARGET_USER"]
        env["TANDEM_TARGET_PASSWORD"] = environ.get("TANDEM_TARGET_PASSWORD", "")
    if environ.get("TANDEM_TLS") == "1":
        # Clusters started with --tls: the proxy speaks TLS to both, checking their
        # certificates (and the IP addresses in them) against the test CA.
        for cluster in ("SOURCE", "TARGET"):
            env[f"TANDEM_{cluster}_TLS_ENABLED"] = "true"
            env[f"TANDEM_{cluster}_TLS_CA_FILE"] = environ["TANDEM_TLS_CA"]
    return env


def tandem_environment(env: dict = None) -> dict:
    """proxy_environment() of this process's variables, with `env` on top."""
    out = proxy_environment(os.environ)
    out.update(env or {})
    return out


def run_tandem(args, env: dict = None, **kw) -> subprocess.CompletedProcess:
    """Runs `tandem ARGS` to its end with the clusters' settings (and `env` on top), its stdout
    and stderr captured as text; `kw` goes to subprocess.run (timeout, ...)."""
    return subprocess.run([proxy_binary()] + args, env=tandem_environment(env),
                          capture_output=True, text=True, **kw)


def start_tandem(args, env: dict = None) -> subprocess.Popen:
    """Starts `tandem ARGS` like run_tandem but in the background, stdout and stderr on one text
    pipe: for a run the test kills halfway or waits for beside another."""
    return subprocess.Popen([proxy_binary()] + args, env=tandem_environment(env),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


# The proxies started and not yet stopped: a failing test's report gets the end of their logs
# (conftest.pytest_runtest_makereport), so a CI failure says what the proxy saw.
RUNNING = []


class ProxyProcess:
    def __init__(self, yaml_text: str = "", env: dict = None, port: int = None,
                 client_tls: ssl.SSLContext = None):
        self.host = "127.0.0.1"
        self.port = port or int(os.environ.get("TANDEM_PROXY_TEST_PORT", "9042"))
        self.dir = tempfile.mkdtemp(prefix="tandem-proxy-")
        self.config = Path(self.dir) / "tandem.yaml"
        self.config.write_text(
            f"proxy:\n  listen_address: {self.host}\n  listen_port: {self.port}\n  worker_threads: 2\n"
            + yaml_text)
        self.log_path = Path(self.dir) / "proxy.log"
        self.env = proxy_environment(os.environ)
        # Each test proxy gets its own admin port (the proxy port + 1000) so that several can run.
        self.admin_port = self.port + 1000
        self.env["TANDEM_ADMIN_LISTEN_PORT"] = str(self.admin_port)
        # Each test proxy journals into its own directory (one journal per instance).
        self.env["TANDEM_JOURNAL_DIR"] = str(Path(self.dir) / "journal")
        self.env.update(env or {})
        self.process = None
        self.client_tls = client_tls  # for the readiness check of a proxy with proxy.tls on
        self.binary = None  # None: proxy_binary(); the package test runs the installed one

    def start(self, timeout: float = 30.0):
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen([self.binary or proxy_binary(), "proxy", "--config",
                                         str(self.config)],
                                        stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        RUNNING.append(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"tandem proxy exited with {self.process.returncode}:\n{self.output()}")
            if _options_roundtrip(self.host, self.port, self.client_tls):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"tandem proxy did not answer within {timeout}s:\n{self.output()}")

    def client(self, protocol_version: int = 4, request_timeout: float = 10.0, retry_policy=None,
               **cluster_options) -> Cluster:
        """A driver Cluster, not yet connected, that talks to this proxy only: its one contact
        point and the one host its load balancing allows. request_timeout and retry_policy (None:
        the driver's default) are the default execution profile's; cluster_options go to Cluster
        as they are (compression, auth_provider, ssl_context, connect_timeout, ...)."""
        profile = ExecutionProfile(load_balancing_policy=WhiteListRoundRobinPolicy([self.host]),
                                   request_timeout=request_timeout, retry_policy=retry_policy)
        return Cluster([self.host], port=self.port, protocol_version=protocol_version,
                       execution_profiles={EXEC_PROFILE_DEFAULT: profile}, **cluster_options)

    def connect(self, protocol_version: int = 4, **options):
        """(cluster, session) of client(protocol_version, **options), connected; the cluster is
        shut down again when connecting fails."""
        cluster = self.client(protocol_version, **options)
        try:
            return cluster, cluster.connect()
        except Exception:
            cluster.shutdown()
            raise

    def admin_url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.admin_port}{path}"

    def output_all(self) -> str:
        try:
            return self.log_path.read_text()
        except OSError:
            return ""

    def output(self) -> str:
        try:
            return self.log_path.read_text()[-4000:]
        except OSError:
            return ""

    def stop(self):
        if self in RUNNING:
            RUNNING.remove(self)
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process and self.process.returncode not in (0, -signal.SIGTERM):
            raise RuntimeError(f"tandem proxy exited with {self.process.returncode}:\n{self.output()}")
        self.log.close()
