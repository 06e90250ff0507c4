"""Issue 18, done-means 4: the Debian package. tools/package packs the build under test (the
sanitizer build in tools/test: one compile less), the package is unpacked into a scratch root
(dpkg -x), and what it installed is run: `tandem version`, then the installed binary as a proxy
with the installed /etc/tandem/tandem.yaml in front of the test clusters, written and read
through with the Python driver. Both systemd units pass `systemd-analyze verify` in that root
(no warning either)."""
import shutil
import subprocess
from pathlib import Path

from conftest import REPO_ROOT
from proxy_process import ProxyProcess, proxy_binary

PORT = 9183


def test_the_package_installs_a_working_proxy_and_valid_units(tmp_path):
    build_dir = Path(proxy_binary()).parent
    run = subprocess.run([str(REPO_ROOT / "tools" / "package"), "--build-dir", str(build_dir),
                          "--out", str(tmp_path / "pkg")], capture_output=True, text=True,
                         timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    deb = Path(run.stdout.strip().splitlines()[-1])
    assert deb.is_file() and deb.name.startswith("tandem_") and deb.suffix == ".deb", run.stdout

    fields = subprocess.run(["dpkg-deb", "-f", str(deb), "Package", "Depends"], capture_output=True,
                            text=True, check=True).stdout
    assert "Package: tandem" in fields and "libssl3" in fields, fields
    control = tmp_path / "control"
    subprocess.run(["dpkg-deb", "-e", str(deb), str(control)], check=True)
    assert (control / "conffiles").read_text().split() == ["/etc/tandem/tandem.yaml"]

    root = tmp_path / "root"
    subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)
    binary = root / "usr" / "bin" / "tandem"
    version = subprocess.run([str(binary), "version"], capture_output=True, text=True, timeout=30)
    assert version.returncode == 0 and version.stdout.startswith("tandem "), version
    conf = root / "etc" / "tandem" / "tandem.yaml"
    text = conf.read_text()
    assert "  dir: /var/lib/tandem/journal\n" in text
    assert "  state_file: /var/lib/tandem/routing.state\n" in text

    # The installed binary and configuration as a proxy: the state paths moved into the test's
    # directory (the service's /var/lib/tandem is its StateDirectory, not ours).
    proxy = ProxyProcess(port=PORT, env={"TANDEM_JOURNAL_DIR": str(tmp_path / "journal"),
                                         "TANDEM_ROUTING_STATE_FILE": str(tmp_path / "routing.state"),
                                         "TANDEM_PROXY_LISTEN_PORT": str(PORT)})
    proxy.config = conf
    proxy.binary = str(binary)
    proxy.start()
    try:
        cluster, session = proxy.connect()
        try:
            session.execute("CREATE KEYSPACE IF NOT EXISTS tandem_pkg WITH replication = "
                            "{'class': 'SimpleStrategy', 'replication_factor': 1}")
            session.execute("CREATE TABLE IF NOT EXISTS tandem_pkg.kv (k int PRIMARY KEY, v text)")
            session.execute("INSERT INTO tandem_pkg.kv (k, v) VALUES (1, 'installed')")
            assert session.execute("SELECT v FROM tandem_pkg.kv WHERE k = 1").one().v == "installed"
        finally:
            cluster.shutdown()
    finally:
        proxy.stop()
    assert "tandem proxy listening" in proxy.output_all()

    # systemd-analyze verify in the scratch root, which gets the machine's targets beside ours.
    units = root / "usr" / "lib" / "systemd" / "system"
    for target in Path("/usr/lib/systemd/system").glob("*.target"):
        shutil.copy(target, units / target.name)
    verify = subprocess.run(["systemd-analyze", "verify", f"--root={root}",
                             str(units / "tandem-proxy.service"),
                             str(units / "tandem-backfill@.service")],
                            capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0 and verify.stderr.strip() == "", verify.stderr
