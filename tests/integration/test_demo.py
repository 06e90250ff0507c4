"""Issue 18, done-means 1: `tools/demo` runs a whole migration and narrates it. Run here with a
shorter history and the binary under test, against the running clusters: it must exit 0, print
every step's line, and end with reads served by the target and both clusters equal; then
`tools/demo --stop` stops what it started."""
import os
import subprocess

from admin_http import admin_call
from conftest import REPO_ROOT
from proxy_process import proxy_binary, proxy_environment

STEP_LINES = [
    "history: ",
    "schema: the target now has the source's keyspace demo",
    "proxy: listening on 127.0.0.1:9042",
    "workload: an application is reading and writing through the proxy",
    "backfill: every token range of the 3 tables copied",
    "validate: every cell's value, writetime and TTL is the same on both clusters",
    "cutover: READY",
    "flip: POST http://127.0.0.1:9191/api/v1/routing",
    "reads: a row written directly to the target only",
    "writes: a row written through the proxy after the flip is on the source and the target",
    "equal: a last full validation after the workload stopped found no difference",
]


class _Admin:  # admin_call's idea of a proxy: the demo's admin port
    def admin_url(self, path):
        return "http://127.0.0.1:9191" + path


def test_the_demo_runs_a_whole_migration(tmp_path):
    env = proxy_environment(os.environ)  # the test bed's TANDEM_SOURCE_HOST & co. left out
    env["TANDEM_DEMO_DIR"] = str(tmp_path / "demo")
    demo = REPO_ROOT / "tools" / "demo"
    try:
        run = subprocess.run([str(demo), "--small", "--binary", proxy_binary()], env=env,
                             capture_output=True, text=True, timeout=900)
        out = run.stdout
        assert run.returncode == 0, out[-6000:] + run.stderr[-4000:]
        positions = []
        for line in STEP_LINES:
            assert line in out, (line, out[-6000:])
            positions.append(out.index(line))
        assert positions == sorted(positions), "the steps ran out of order"
        workload = [l for l in out.splitlines() if l.startswith("workload: ") and "errors" in l]
        assert workload and workload[-1].endswith("0 errors"), workload
        # The last step lines: reads served by the target, writes on both, both clusters equal.
        steps = [l for l in out.splitlines() if l.split(":")[0] in ("reads", "writes", "equal")]
        assert [l.split(":")[0] for l in steps[-3:]] == ["reads", "writes", "equal"], steps
        # What it leaves up: the proxy, reading from the target.
        status, body = admin_call(_Admin(), "/api/v1/status")
        assert status == 200 and body["routing"]["primary"] == "target", body
        assert (tmp_path / "demo" / "workload.json").is_file()
    finally:
        stop = subprocess.run([str(demo), "--stop"], env=env, capture_output=True, text=True,
                              timeout=120)
    assert stop.returncode == 0 and "proxy stopped" in stop.stdout, stop.stdout + stop.stderr
