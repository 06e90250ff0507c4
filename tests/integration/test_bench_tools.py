"""Issue 7: the bench tools work end to end. Two tandem-stub-backend processes, a tandem proxy
in front of them, and tandem-loadgen driving prepared writes through the proxy for a few
seconds with protocol v4 and with v5 + lz4: every request is answered without error, and both
stubs saw every write (the proxy mirrored them). Also: the stub's SASL PLAIN and the loadgen's
report of a refused handshake. These need no Cassandra; they use ports 1924x on 127.0.0.4/5."""

import json
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from proxy_process import ProxyProcess, proxy_binary

STUB_SOURCE = ("127.0.0.4", 19242)
STUB_TARGET = ("127.0.0.5", 19242)
PROXY_PORT = 19243


def bench_binary(name: str) -> str:
    """The bench tools of the same build as the proxy ($TANDEM_BIN or build/tandem)."""
    path = Path(proxy_binary()).parent / "tools" / "bench" / name
    if not path.is_file():
        raise RuntimeError(f"{path} does not exist: build it (tools/build)")
    return str(path)


def wait_for_port(host: str, port: int, process: subprocess.Popen, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening on {port}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {host}:{port} after {timeout}s")


class Stub:
    def __init__(self, address, *extra):
        self.host, self.port = address
        self.process = subprocess.Popen(
            [bench_binary("tandem-stub-backend"), "--listen", f"{self.host}:{self.port}", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for_port(self.host, self.port, self.process)

    def stop(self) -> dict:
        """Stops the stub; returns the counters it prints on SIGTERM."""
        self.process.send_signal(signal.SIGTERM)
        out, err = self.process.communicate(timeout=15)
        assert self.process.returncode == 0, err
        return json.loads(out.strip().splitlines()[-1])


def loadgen(target: str, *args, timeout: float = 60.0) -> subprocess.CompletedProcess:
    return subprocess.run([bench_binary("tandem-loadgen"), "--target", target, "--json", *args],
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def stubs_and_proxy():
    source = Stub(STUB_SOURCE, "--cluster-name", "stub-source")
    target = Stub(STUB_TARGET, "--cluster-name", "stub-target")
    yaml_text = (f"source:\n  contact_points: [{STUB_SOURCE[0]}]\n  port: {STUB_SOURCE[1]}\n"
                 f"target:\n  contact_points: [{STUB_TARGET[0]}]\n  port: {STUB_TARGET[1]}\n")
    # The clusters' TLS settings (tools/test's second phase) are not the stubs'.
    proxy = ProxyProcess(yaml_text=yaml_text, port=PROXY_PORT,
                         env={"TANDEM_SOURCE_TLS_ENABLED": "false",
                              "TANDEM_TARGET_TLS_ENABLED": "false"}).start()
    try:
        yield source, target, proxy
    finally:
        proxy.stop()
        for stub in (source, target):
            if stub.process.poll() is None:
                stub.process.kill()
                stub.process.wait()


@pytest.mark.parametrize("protocol,extra", [("4", []), ("5", ["--lz4"])], ids=["v4", "v5-lz4"])
def test_loadgen_writes_through_the_proxy_reach_both_stubs(stubs_and_proxy, protocol, extra):
    source, target, proxy = stubs_and_proxy
    run = loadgen(f"127.0.0.1:{PROXY_PORT}", "--protocol", protocol, *extra, "--create-schema",
                  "--connections", "4", "--in-flight", "16", "--duration", "3s")
    assert run.returncode == 0, run.stderr + run.stdout
    result = json.loads(run.stdout)
    assert result["connections_failed"] == 0, result["first_failure"]
    assert result["ops"] > 0
    assert result["writes"] == result["ops"]
    assert result["errors"] == 0, result["errors_by_code"]
    assert result["latency_us"]["p50"] > 0
    proxy.stop()  # drains the mirrored writes still in flight
    seen_source = source.stop()
    seen_target = target.stop()
    # Every answered write was executed on the source, and mirrored to the target.
    assert seen_source["writes"] >= result["writes"], seen_source
    assert seen_target["writes"] >= result["writes"], seen_target
    assert seen_source["requests"]["PREPARE"] >= 4 and seen_target["requests"]["PREPARE"] >= 4


def test_stub_requires_the_configured_plain_credentials():
    stub = Stub(("127.0.0.4", 19244), "--user", "bench", "--password", "secret")
    try:
        target = "127.0.0.4:19244"
        refused = loadgen(target, "--duration", "1s", "--connections", "1")
        assert refused.returncode != 0
        assert "authentication" in json.loads(refused.stdout)["first_failure"]
        wrong = loadgen(target, "--duration", "1s", "--connections", "1", "--user", "bench",
                        "--password", "nope")
        assert wrong.returncode != 0
        assert "incorrect" in json.loads(wrong.stdout)["first_failure"]
        ok = loadgen(target, "--duration", "1s", "--connections", "1", "--protocol", "5",
                     "--user", "bench", "--password", "secret", "--write-ratio", "0.5")
        assert ok.returncode == 0, ok.stderr + ok.stdout
        result = json.loads(ok.stdout)
        assert result["errors"] == 0 and result["writes"] > 0 and result["reads"] > 0
    finally:
        counters = stub.stop()
    assert counters["requests"]["AUTH_RESPONSE"] == 2
