#!/usr/bin/env python3
"""What the clusters and the machine looked like when a test phase failed, for tools/test.

Usage: cluster_diagnostics.py PHASE OUT_FILE

Writes a full report to OUT_FILE (machine: disk, memory, load, largest processes; per node:
process alive, CQL answers, what system.local/system.peers say about the ring, the last
distinct ERROR/WARN lines of its system.log) and prints one line per node to stdout, which
tools/test keeps for the summary: a CI log often shows only the end of the output, so the end
must say whether a node had died, stalled or lost its ring. Never raises: a diagnostic that
cannot be taken is reported as such.
"""
import os
import pathlib
import re
import shutil
import subprocess
import sys

STATE_DIR = pathlib.Path(os.environ.get("TANDEM_CLUSTERS_STATE_DIR") or os.environ.get("TANDEM_STATE_DIR")
                         or pathlib.Path.home() / ".cache" / "tandem" / "clusters")
# Lines every healthy test run logs; they would crowd out the ones that explain a failure.
NOISE = re.compile(r"StartupChecks|tombstone cells|No host ID found|jemalloc|JMX is not enabled"
                   r"|max_map_count|read_ahead_kb|Using stored Gossip Generation|"
                   r"is deprecated|Small commitlog volume|Only \d+ MiB free")


def run(cmd, timeout=20):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        return (p.stdout + p.stderr).strip()
    except Exception as e:  # noqa: BLE001 - a diagnostic must not stop the report
        return f"({' '.join(cmd)}: {e})"


def node_side_and_address(name):
    """("source"|"target", address) of node directory `name` (source, source2, ...): the K-th
    entry of TANDEM_<SIDE>_HOSTS, which `tools/clusters env` exports and tools/test evaluates."""
    side = re.match(r"[a-z]+", name).group(0)
    k = int(name[len(side):] or 1)
    hosts = os.environ.get(f"TANDEM_{side.upper()}_HOSTS", "").split(",")
    return side, hosts[k - 1] if k <= len(hosts) and hosts[k - 1] else None


def pid_alive(node_dir):
    try:
        pid = int((node_dir / "cassandra.pid").read_text().strip())
        os.kill(pid, 0)
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
        state = stat.rsplit(")", 1)[1].split()[0]
        return pid, {"T": "stopped (SIGSTOP)", "Z": "zombie"}.get(state, "running")
    except Exception:  # noqa: BLE001
        return None, "not running"


def ring_view(side, address):
    """system.local and system.peers as the node answers them, or why it did not answer."""
    try:
        from cassandra.cluster import Cluster, ExecutionProfile, EXEC_PROFILE_DEFAULT
        from cassandra.policies import WhiteListRoundRobinPolicy
        from cassandra.auth import PlainTextAuthProvider
    except ImportError as e:
        return f"no driver ({e})"
    user = os.environ.get(f"TANDEM_{side.upper()}_USER")
    auth = (PlainTextAuthProvider(user, os.environ.get(f"TANDEM_{side.upper()}_PASSWORD", ""))
            if user else None)
    profile = ExecutionProfile(load_balancing_policy=WhiteListRoundRobinPolicy([address]),
                               request_timeout=10)
    cluster = Cluster([address], auth_provider=auth, connect_timeout=10, protocol_version=4,
                      execution_profiles={EXEC_PROFILE_DEFAULT: profile},
                      ssl_context=_ssl_context())
    try:
        session = cluster.connect()
        local = session.execute("SELECT data_center, rack, schema_version FROM system.local").one()
        peers = [f"{r.peer}({r.data_center})" for r in
                 session.execute("SELECT peer, data_center FROM system.peers")]
        # The schema version: a node that missed a schema push shows another one than its peers
        # (and fails reads at ALL with INCOMPATIBLE_SCHEMA).
        return (f"CQL ok, local dc={local.data_center} rack={local.rack} "
                f"schema={str(local.schema_version)[:8]}, peers=[{', '.join(peers)}]")
    except Exception as e:  # noqa: BLE001
        return f"CQL failed: {type(e).__name__}: {str(e)[:200]}"
    finally:
        cluster.shutdown()


def _ssl_context():
    ca = pathlib.Path(os.environ.get("TANDEM_TLS_CA") or STATE_DIR / "tls" / "ca.pem")
    if os.environ.get("TANDEM_TLS") != "1" or not ca.exists():
        return None
    import ssl
    return ssl.create_default_context(cafile=str(ca))


def log_lines(node_dir, limit=12):
    log = node_dir / "logs" / "system.log"
    if not log.exists():
        return ["(no system.log)"]
    seen, out = set(), []
    for line in reversed(log.read_text(errors="replace").splitlines()):
        if not (line.startswith("ERROR") or line.startswith("WARN")) or NOISE.search(line):
            continue
        key = re.sub(r"\d", "", line.split(" - ", 1)[-1])[:120]
        if key in seen:
            continue
        seen.add(key)
        out.append(line[:300])
        if len(out) >= limit:
            break
    return list(reversed(out)) or ["(no ERROR/WARN lines)"]


def main():
    phase, out_file = sys.argv[1], pathlib.Path(sys.argv[2])
    report = [f"== diagnostics after phase '{phase}'",
              run(["date", "-u"]), run(["df", "-h", str(STATE_DIR), "/tmp"]), run(["free", "-m"]),
              "load: " + pathlib.Path("/proc/loadavg").read_text().strip(),
              "\n".join(line[:200] for line in
                        run(["ps", "-eo", "pid,rss,pcpu,etime,args", "--sort=-rss"]).splitlines()[:10])]
    free = shutil.disk_usage(STATE_DIR if STATE_DIR.exists() else "/")
    summary = [f"diagnostics ({phase}): {free.free // 2**30} GiB free disk, load "
               + pathlib.Path("/proc/loadavg").read_text().split()[0]]
    nodes = sorted(p.name for p in STATE_DIR.iterdir()
                   if p.is_dir() and re.fullmatch(r"(source|target)\d*", p.name)) \
        if STATE_DIR.exists() else []
    for name in nodes:
        node_dir = STATE_DIR / name
        pid, state = pid_alive(node_dir)
        side, address = node_side_and_address(name)
        ring = ("not asked" if state != "running" else
                ring_view(side, address) if address else "address unknown (no TANDEM_*_HOSTS)")
        lines = log_lines(node_dir)
        report += [f"-- {name} {address}: pid {pid}, {state}; {ring}"] + lines
        summary.append(f"  {name} {address}: {state}; {ring[:160]}; last: {lines[-1][:160]}")
    out_file.write_text("\n".join(report) + "\n")
    print("\n".join(summary))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # noqa: BLE001
        print(f"diagnostics ({sys.argv[1] if len(sys.argv) > 1 else '?'}): could not be taken: {e}")
        sys.exit(0)
