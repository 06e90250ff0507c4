"""Issue 18: logging.format: json. A proxy against the real clusters, started with
TANDEM_LOGGING_FORMAT=json and given a client, writes only JSON objects, one per line, each with
time, level, component and message, and the cluster named where a line is about one."""
import json

from conftest import write_and_read_kv
from proxy_process import ProxyProcess

PORT = 9181


def test_json_logs_are_one_object_per_line_with_their_fields():
    proxy = ProxyProcess(port=PORT, yaml_text=f"  instances: [\"127.0.0.1:{PORT}\"]\n",
                         env={"TANDEM_LOGGING_FORMAT": "json"}).start()
    try:
        cluster, session = proxy.connect()
        try:
            write_and_read_kv(session, "tandem_logs", rows=3, read_key=1)
        finally:
            cluster.shutdown()
    finally:
        proxy.stop()
    lines = [l for l in proxy.output_all().splitlines() if l.strip()]
    assert len(lines) >= 4, lines
    records = [json.loads(l) for l in lines]  # a line that is not JSON fails here
    for r in records:
        assert {"time", "level", "component", "message"} <= r.keys(), r
        assert r["time"].endswith("Z") and r["level"] in ("trace", "debug", "info", "warning",
                                                          "error", "critical"), r
    by_message = {r["message"]: r for r in records}
    source = [r for m, r in by_message.items() if m.startswith("source: Cassandra")]
    assert source and source[0]["cluster"] == "source" and source[0]["component"] == "source"
    assert any(m.startswith("tandem proxy listening on") for m in by_message)
