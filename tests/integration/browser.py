"""The status page checks in Debian's chromium (headless), driven by playwright-core (npm,
tests/browser): node and the check script, installed on first use."""

import json
import subprocess
from pathlib import Path

from conftest import REPO_ROOT, npm_installed

BROWSER_DIR = REPO_ROOT / "tests" / "browser"


def browser_script(name: str):
    """[node, tests/browser/<name>], after `npm ci` there when playwright-core is missing."""
    if not Path("/usr/bin/chromium").is_file():
        raise RuntimeError("/usr/bin/chromium is missing (tools/deps installs chromium)")
    return [npm_installed(BROWSER_DIR, "playwright-core"), str(BROWSER_DIR / name)]


def run_check(name: str, *args, timeout=180):
    """Runs the check script with `args`; (its exit code, the JSON object of its last line)."""
    run = subprocess.run(browser_script(name) + [str(a) for a in args], capture_output=True,
                         text=True, timeout=timeout)
    lines = [l for l in run.stdout.splitlines() if l.startswith("{")]
    assert lines, run.stdout + run.stderr
    return run.returncode, json.loads(lines[-1])
