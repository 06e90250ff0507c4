"""Issue 4, done-means 4: the status page in a real browser. Debian's chromium (headless),
driven by playwright-core (npm, tests/browser), loads the page, checks that the numbers it shows
match /api/v1/status, clicks the flip button, confirms, checks that the routing changed, and
saves a screenshot under the test output directory."""

import os
from pathlib import Path

from browser import run_check
from conftest import write_and_read_kv
from proxy_process import ProxyProcess

PORT = 9164


def test_status_page_shows_the_status_and_flips_the_routing(tmp_path, request):
    state_file = tmp_path / "routing.state"
    proxy = ProxyProcess(port=PORT, yaml_text=f"  instances: [\"127.0.0.1:{PORT}\"]\n",
                         env={"TANDEM_ROUTING_STATE_FILE": str(state_file)}).start()
    try:
        cluster, session = proxy.connect()
        try:
            write_and_read_kv(session, "tandem_page", rows=12, read_key=3)
        finally:
            cluster.shutdown()
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
