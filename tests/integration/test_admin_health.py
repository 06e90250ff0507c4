"""Issue 4, done-means 3 and 5: /metrics passes `promtool check metrics` (Debian's prometheus
package); /health/ready answers 503 with the reason while the target is stopped and 200 once it
is back; an admin port bound off loopback without a bearer token stops the start, and with a
token every endpoint but /health/* needs it."""

import re
import shutil
import subprocess
import time

from admin_http import admin_call
from conftest import REPO_ROOT, target_stopped, write_and_read_kv
from proxy_process import ProxyProcess, run_tandem

PORT = 9162


def test_metrics_pass_promtool_after_traffic():
    promtool = shutil.which("promtool")
    if promtool is None:
        raise RuntimeError("promtool not found: tools/deps installs Debian's prometheus package")
    proxy = ProxyProcess(port=PORT, yaml_text=f"  instances: [\"127.0.0.1:{PORT}\"]\n").start()
    try:
        cluster, session = proxy.connect()
        try:
            write_and_read_kv(session, "tandem_metrics", rows=20, read_key=1)
            try:
                session.execute("SELECT * FROM tandem_metrics.no_such_table")
            except Exception:
                pass  # an error answer, counted by code
        finally:
            cluster.shutdown()
        status, text = admin_call(proxy, "/metrics")
        assert status == 200
        check = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                               text=True, timeout=30)
        assert check.returncode == 0, check.stdout + check.stderr
        assert 'tandem_requests_total{kind="write"} 20' in text
        assert 'tandem_cluster_errors_total{cluster="source",error="invalid"} 1' in text
        assert 'tandem_cluster_request_duration_seconds_count{cluster="target"}' in text
        # Every metric the Grafana dashboard queries is exported.
        dashboard = (REPO_ROOT / "conf" / "grafana-dashboard.json").read_text()
        used = set(re.findall(r"tandem_[a-z0-9_]+", dashboard)) - {"tandem_migration"}
        exported = set(re.findall(r"^(tandem_[a-z0-9_]+)", text, re.M))
        assert used and used <= exported, used - exported
    finally:
        proxy.stop()


def wait_for(proxy, path, want_status, timeout):
    deadline = time.monotonic() + timeout
    status, body = admin_call(proxy, path)
    while status != want_status and time.monotonic() < deadline:
        time.sleep(0.5)
        status, body = admin_call(proxy, path)
    return status, body


def test_ready_follows_the_target():
    proxy = ProxyProcess(port=PORT + 1, yaml_text=f"  instances: [\"127.0.0.1:{PORT + 1}\"]\n").start()
    try:
        status, body = wait_for(proxy, "/health/ready", 200, 15)
        assert status == 200, body
        with target_stopped():
            status, body = wait_for(proxy, "/health/ready", 503, 30)
            assert status == 503, body
            assert "target unreachable" in body["reasons"][0]
            assert admin_call(proxy, "/health/live")[0] == 200
        status, body = wait_for(proxy, "/health/ready", 200, 60)
        assert status == 200, body
    finally:
        proxy.stop()


def test_admin_off_loopback_needs_a_token(tmp_path):
    config = tmp_path / "tandem.yaml"
    config.write_text(f"proxy:\n  listen_port: {PORT + 2}\nadmin:\n  listen_address: 0.0.0.0\n"
                      f"  listen_port: {PORT + 1002}\n")
    run = run_tandem(["proxy", "--config", str(config)], timeout=30)
    assert run.returncode == 2, run.stderr
    assert "admin.bearer_token" in run.stderr, run.stderr

    proxy = ProxyProcess(port=PORT + 2, yaml_text=f"  instances: [\"127.0.0.1:{PORT + 2}\"]\n",
                         env={"TANDEM_ADMIN_LISTEN_ADDRESS": "0.0.0.0",
                              "TANDEM_ADMIN_BEARER_TOKEN": "test-token"}).start()
    try:
        assert admin_call(proxy, "/health/live")[0] == 200
        assert admin_call(proxy, "/metrics")[0] == 401
        assert admin_call(proxy, "/api/v1/status", token="wrong")[0] == 401
        status, body = admin_call(proxy, "/api/v1/status", token="test-token")
        assert status == 200 and body["routing"]["primary"] == "source"
    finally:
        proxy.stop()
