"""Issue 3, TLS: client -> proxy (the proxy's server certificate, client certificates required)
and proxy -> cluster (the test CA, host name verification on by default), against clusters
started with `tools/clusters up --auth --tls` (tools/test's second phase, marker `tls`).

The test CA and certificates are the ones tools/clusters generated: server.pem names 127.0.0.1-3
as IP addresses, so it also serves as the proxy's certificate on 127.0.0.1."""

import os
import ssl
import time
from pathlib import Path

import pytest
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import NoHostAvailable

from conftest import connect, create_keyspace, node_settings
from proxy_process import ProxyProcess, run_tandem

pytestmark = pytest.mark.tls

PORT = 9155


def tls_dir() -> Path:
    if os.environ.get("TANDEM_TLS") != "1":
        raise RuntimeError("these tests need `tools/clusters up --tls` (TANDEM_TLS unset)")
    return Path(os.environ["TANDEM_TLS_CA"]).parent


def client_context(with_certificate: bool) -> ssl.SSLContext:
    d = tls_dir()
    ctx = ssl.create_default_context(cafile=str(d / "ca.pem"))
    ctx.check_hostname = True
    if with_certificate:
        ctx.load_cert_chain(str(d / "client.pem"), str(d / "client.key"))
    return ctx


def proxy_tls_yaml() -> str:
    d = tls_dir()
    return (f"  instances: [\"127.0.0.1:{PORT}\"]\n"
            "  tls:\n"
            "    enabled: true\n"
            f"    cert_file: {d / 'server.pem'}\n"
            f"    key_file: {d / 'server.key'}\n"
            f"    ca_file: {d / 'ca.pem'}\n"
            "    require_client_cert: true\n")


def driver(proxy, ssl_context):
    source = node_settings("source")
    auth = PlainTextAuthProvider(source.user, source.password) if source.auth else None
    return proxy.client(ssl_context=ssl_context, auth_provider=auth, connect_timeout=10)


def assert_refused(cluster):
    """cluster.connect() finds no host that takes it; the cluster is shut down either way."""
    try:
        with pytest.raises(NoHostAvailable):
            cluster.connect()
    finally:
        cluster.shutdown()


def assert_served(cluster):
    """cluster.connect() works and a query through it answers; the cluster is shut down after."""
    try:
        assert cluster.connect().execute("SELECT release_version FROM system.local").one()
    finally:
        cluster.shutdown()


@pytest.fixture(scope="module")
def tls_proxy():
    p = ProxyProcess(port=PORT, yaml_text=proxy_tls_yaml(),
                     client_tls=client_context(with_certificate=True)).start()
    yield p
    p.stop()


def test_a_client_with_a_certificate_writes_over_tls_end_to_end(tls_proxy):
    cluster = driver(tls_proxy, client_context(with_certificate=True))
    try:
        session = cluster.connect()
        create_keyspace(session, "tandem_tls")
        session.execute("CREATE TABLE IF NOT EXISTS tandem_tls.kv (k int PRIMARY KEY, v text)")
        session.execute("INSERT INTO tandem_tls.kv (k, v) VALUES (1, 'over tls')")
        assert session.execute("SELECT v FROM tandem_tls.kv WHERE k = 1").one().v == "over tls"
    finally:
        cluster.shutdown()
    for name in ("source", "target"):  # connect() speaks TLS to the clusters too
        c, s = connect(node_settings(name), 4)
        try:
            deadline = time.monotonic() + 10
            row = None
            while row is None and time.monotonic() < deadline:
                row = s.execute("SELECT v, WRITETIME(v) AS wt FROM tandem_tls.kv WHERE k = 1").one()
                time.sleep(0.05)
            assert row is not None and row.v == "over tls"
        finally:
            c.shutdown()


def test_a_client_without_a_certificate_is_refused(tls_proxy):
    assert_refused(driver(tls_proxy, client_context(with_certificate=False)))


def test_a_plain_text_client_is_refused_and_the_proxy_keeps_serving(tls_proxy):
    assert_refused(driver(tls_proxy, None))
    assert_served(driver(tls_proxy, client_context(with_certificate=True)))


def test_a_cluster_certificate_for_another_name_is_refused_unless_verification_is_off():
    """Host name verification against the clusters is on by default: a server_name the
    certificate does not carry makes the proxy refuse the node."""
    wrong = {"TANDEM_SOURCE_TLS_SERVER_NAME": "not-this-node.example",
             "TANDEM_TARGET_TLS_SERVER_NAME": "not-this-node.example"}
    p = ProxyProcess(port=PORT + 1, yaml_text=f"  instances: [\"127.0.0.1:{PORT + 1}\"]\n",
                     env=wrong).start()
    try:
        assert_refused(driver(p, None))
        assert "TLS handshake failed" in p.output_all(), p.output()
    finally:
        p.stop()
    relaxed = dict(wrong, TANDEM_SOURCE_TLS_VERIFY_HOSTNAME="false",
                   TANDEM_TARGET_TLS_VERIFY_HOSTNAME="false")
    p = ProxyProcess(port=PORT + 1, yaml_text=f"  instances: [\"127.0.0.1:{PORT + 1}\"]\n",
                     env=relaxed).start()
    try:
        assert_served(driver(p, None))
    finally:
        p.stop()


def test_an_unusable_certificate_stops_the_start_naming_the_key(tmp_path):
    bad = tmp_path / "not-a-cert.pem"
    bad.write_text("this is not a certificate\n")
    d = tls_dir()
    config = tmp_path / "tandem.yaml"
    config.write_text(f"proxy:\n  listen_port: {PORT + 2}\n  tls:\n    enabled: true\n"
                      f"    cert_file: {bad}\n    key_file: {d / 'server.key'}\n")
    run = run_tandem(["proxy", "--config", str(config)], timeout=30)
    assert run.returncode == 2, run.stderr
    assert "proxy.tls.cert_file" in run.stderr and "OpenSSL cannot use it" in run.stderr
