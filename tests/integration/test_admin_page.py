"""Issue 4, done-means 4, and issue 18, done-means 2: the status page in a real browser. Debian's
chromium (headless), driven by playwright-core (npm, tests/browser), loads the page after client
traffic and a backfill started from the admin port, checks that the numbers it shows match
/api/v1/status, that its charts of the last 15 minutes have /api/v1/history's points and the
backfill's per-table progress is /api/v1/backfill's, clicks the flip button, confirms, checks
that the routing changed, and saves a screenshot under the test output directory."""

import os
import time
from pathlib import Path

from admin_http import admin_call
from browser import run_check
from conftest import write_and_read_kv
from proxy_process import ProxyProcess

PORT = 9164


def test_status_page_shows_the_status_and_flips_the_routing(tmp_path, request):
    state_file = tmp_path / "routing.state"
    proxy = ProxyProcess(port=PORT, yaml_text=f"  instances: [\"127.0.0.1:{PORT}\"]\n",
                         env={"TANDEM_ROUTING_STATE_FILE": str(state_file),
                              "TANDEM_BACKFILL_TABLES": "tandem_page.kv",
                              "TANDEM_BACKFILL_JOB": f"page{os.getpid()}"}).start()
    try:
        cluster, session = proxy.connect()
        try:
            write_and_read_kv(session, "tandem_page", rows=300, read_key=3)
        finally:
            cluster.shutdown()
        status, body = admin_call(proxy, "/api/v1/backfill", {"action": "start"})
        assert status == 200, body
        deadline = time.monotonic() + 120
        while admin_call(proxy, "/api/v1/backfill")[1]["state"] == "running":
            assert time.monotonic() < deadline, "the backfill did not finish in 120 s"
            time.sleep(0.5)
        assert admin_call(proxy, "/api/v1/backfill")[1]["state"] == "finished"
        # The charts need two points after the traffic and the backfill: one point every 5 s.
        deadline = time.monotonic() + 30
        while True:
            points = admin_call(proxy, "/api/v1/history")[1]["points"]
            if (len(points) >= 3 and any(p["backfill_rows_per_second"] > 0 for p in points)
                    and any(p["client_requests_per_second"] > 0 for p in points)):
                break
            assert time.monotonic() < deadline, points
            time.sleep(1)
        out_dir = Path(os.environ.get("TANDEM_TEST_OUTPUT", tmp_path))
        out_dir.mkdir(parents=True, exist_ok=True)
        screenshot = out_dir / "status-page.png"
        code, result = run_check("status_page_check.mjs", proxy.admin_url(""), screenshot)
        assert code == 0 and result["ok"], result
        assert result["before"] == "source" and result["after"] == "target"
        assert screenshot.is_file() and screenshot.stat().st_size > 10_000
        assert state_file.read_text() == "primary=target\n"
    finally:
        proxy.stop()
