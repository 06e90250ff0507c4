"""The status page checks in Debian's chromium (headless), driven by playwright-core (npm,
tests/browser): node and the check script, installed on first use."""

import json
import shutil
import subprocess
from pathlib import Path

from conftest import REPO_ROOT

BROWSER_DIR = REPO_ROOT / "tests" / "browser"


def browser_script(name: str):
    """[node, tests/browser/<name>], after `npm ci` there when playwright-core is missing."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise RuntimeError("node and npm are needed (tools/deps installs nodejs)")
    if not Path("/usr/bin/chromium").is_file():
        raise RuntimeError("/usr/bin/chromium is missing (tools/deps installs chromium)")
    if not (BROWSER_DIR / "node_modules" / "playwright-core").is_dir():
        install = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=BROWSER_DIR,
                                 capture_output=True, text=True, timeout=600)
        assert install.returncode == 0, install.stdout + install.stderr
    return [node, str(BROWSER_DIR / name)]


def run_check(name: str, *args, timeout=180):
    """Runs the check script with `args`; (its exit code, the JSON object of its last line)."""
    run = subprocess.run(browser_script(name) + [str(a) for a in args], capture_output=True,
                         text=True, timeout=timeout)
    lines = [l for l in run.stdout.splitlines() if l.startswith("{")]
    assert lines, run.stdout + run.stderr
    return run.returncode, json.loads(lines[-1])
