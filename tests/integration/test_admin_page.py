"""Issue 4, done-means 4: the status page in a real browser. Debian's chromium (headless),
driven by playwright-core (npm, tests/browser), loads the page, checks that the numbers it shows
match /api/v1/status, clicks the flip button, confirms, checks that the routing changed, and
saves a screenshot under the test output directory."""

import json
import os
import shutil
import subprocess
from pathlib import Path

from conftest import REPO_ROOT, write_and_read_kv
from proxy_process import ProxyProcess

PORT = 9164
BROWSER_DIR = REPO_ROOT / "tests" / "browser"


def browser_script():
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise RuntimeError("node and npm are needed (tools/deps installs nodejs)")
    if not Path("/usr/bin/chromium").is_file():
        raise RuntimeError("/usr/bin/chromium is missing (tools/deps installs chromium)")
    if not (BROWSER_DIR / "node_modules" / "playwright-core").is_dir():
        install = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=BROWSER_DIR,
                                 capture_output=True, text=True, timeout=600)
        assert install.returncode == 0, install.stdout + install.stderr
    return [node, str(BROWSER_DIR / "status_page_check.mjs")]


def test_status_page_shows_the_status_and_flips_the_routing(tmp_path, request):
    script = browser_script()
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
        run = subprocess.run(script + [proxy.admin_url(""), str(screenshot)],
                             capture_output=True, text=True, timeout=180)
        lines = [l for l in run.stdout.splitlines() if l.startswith("{")]
        assert lines, run.stdout + run.stderr
        result = json.loads(lines[-1])
        assert run.returncode == 0 and result["ok"], result
        assert result["before"] == "source" and result["after"] == "target"
        assert screenshot.is_file() and screenshot.stat().st_size > 10_000
        assert state_file.read_text() == "primary=target\n"
    finally:
        proxy.stop()
