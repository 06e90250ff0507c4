"""Issue 18, done-means 3: `tandem status` against a running proxy (real clusters, traffic from the
Python driver) prints the numbers of /api/v1/status: --json carries the same object, the text
shows the same counters; the admin port's token is asked for when the port wants one; --watch
prints again."""
import json
import os
import signal
import subprocess
import time

from admin_http import admin_call
from conftest import write_and_read_kv
from proxy_process import ProxyProcess, proxy_binary, run_tandem

PORT = 9179
TOKEN = "status-test-token"


def status(proxy, *args, env=None, token=TOKEN):
    e = {"TANDEM_ADMIN_BEARER_TOKEN": token} if token else {}
    e.update(env or {})
    return run_tandem(["status", "--admin", proxy.admin_url(""), *args], env=e, timeout=60)


def test_tandem_status_prints_what_the_admin_port_says():
    proxy = ProxyProcess(port=PORT, yaml_text=f"  instances: [\"127.0.0.1:{PORT}\"]\n",
                         env={"TANDEM_ADMIN_BEARER_TOKEN": TOKEN}).start()
    try:
        cluster, session = proxy.connect()
        try:
            write_and_read_kv(session, "tandem_status", rows=37, read_key=5)
        finally:
            cluster.shutdown()
        time.sleep(0.5)  # the last answers counted

        run = status(proxy, "--json", "--no-cutover")
        assert run.returncode == 0, run.stderr
        shown = json.loads(run.stdout)
        code, direct = admin_call(proxy, "/api/v1/status", token=TOKEN)
        assert code == 200
        for key in ("counters", "routing", "write_ack", "client_connections", "t0", "prepared",
                    "cluster_errors", "journal", "version"):
            assert shown["status"][key] == direct[key], key
        assert shown["status"]["client_latency"]["count"] == direct["client_latency"]["count"]
        for c in ("source", "target"):
            assert shown["status"]["clusters"][c]["nodes"] == direct["clusters"][c]["nodes"]
        assert shown["history"]["interval_seconds"] == 5
        assert shown["cutover"] is None  # --no-cutover
        writes = direct["counters"]["requests_write"]
        assert writes >= 37

        run = status(proxy)
        assert run.returncode == 0, run.stderr
        text = run.stdout
        c = direct["counters"]
        for expected in (
                f"primary {direct['routing']['primary']}, write_ack {direct['write_ack']}",
                f"{c['requests_write']} writes mirrored, {c['requests_read']} reads, "
                f"{c['requests_prepare']} prepares, {c['requests_ddl']} schema changes",
                f"{direct['client_latency']['count']} answered",
                f"{c['target_write_failures']} write failures",
                f"journal    {direct['journal']['pending']} pending",
                "source     reachable", "target     reachable",
                "cutover    NOT READY"):  # no backfill or validation has run for this proxy
            assert expected in text, (expected, text)

        # The token: refused without it, with a hint; taken from the configuration without --admin.
        run = status(proxy, token=None)
        assert run.returncode == 1 and "HTTP 401" in run.stderr and "--token" in run.stderr, run.stderr
        run = run_tandem(["status", "--no-cutover"],
                         env={"TANDEM_ADMIN_LISTEN_PORT": str(proxy.admin_port),
                              "TANDEM_ADMIN_BEARER_TOKEN": TOKEN}, timeout=60)
        assert run.returncode == 0 and f"{writes} writes mirrored" in run.stdout, run.stderr

        # --watch prints again every --interval seconds.
        env = dict(os.environ)
        env["TANDEM_ADMIN_BEARER_TOKEN"] = TOKEN
        watch = subprocess.Popen([proxy_binary(), "status", "--admin", proxy.admin_url(""), "--watch",
                                  "--interval", "1", "--no-cutover"], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, env=env)
        time.sleep(3.5)
        # SIGTERM, not SIGINT: a test run started in the background by a non-interactive shell
        # (CI, nohup) inherits SIGINT ignored, and so does this child.
        watch.send_signal(signal.SIGTERM)
        out, _ = watch.communicate(timeout=10)
        assert out.count("writes mirrored") >= 3, out
    finally:
        proxy.stop()


def test_tandem_status_names_an_admin_port_it_cannot_read():
    run = subprocess.run([proxy_binary(), "status", "--admin", "http://127.0.0.1:1"],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 1
    assert "cannot read http://127.0.0.1:1/api/v1/status" in run.stderr, run.stderr
    run = subprocess.run([proxy_binary(), "status", "--admin", "not a url"], capture_output=True,
                         text=True, timeout=30)
    assert run.returncode == 2 and "--admin takes http://HOST:PORT" in run.stderr, run.stderr
