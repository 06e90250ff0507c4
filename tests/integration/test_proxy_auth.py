"""Issue 3, done-means 5: with `tools/clusters up --auth`, a client with the source's credentials
is admitted through the proxy and its writes reach the target (authenticated with the target's
own credentials); wrong credentials get the source's authentication error.

Runs in tools/test's second phase, against clusters started with --auth (marker `auth`)."""

import pytest
from cassandra import AuthenticationFailed
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import NoHostAvailable

from conftest import connect, create_keyspace, node_settings
from proxy_process import ProxyProcess

pytestmark = pytest.mark.auth


@pytest.fixture(scope="module")
def proxy():
    source = node_settings("source")
    if not source.auth:
        raise RuntimeError("these tests need `tools/clusters up --auth` (TANDEM_SOURCE_USER unset)")
    p = ProxyProcess(port=9148, yaml_text="  instances: [\"127.0.0.1:9148\"]\n").start()
    yield p
    p.stop()


def through_proxy(proxy, user, password):
    return proxy.client(auth_provider=PlainTextAuthProvider(user, password), connect_timeout=10)


def test_right_credentials_connect_and_writes_reach_both(proxy):
    source = node_settings("source")
    cluster = through_proxy(proxy, source.user, source.password)
    try:
        session = cluster.connect()
        create_keyspace(session, "tandem_auth")
        session.execute("CREATE TABLE IF NOT EXISTS tandem_auth.kv (k int PRIMARY KEY, v text)")
        session.execute("INSERT INTO tandem_auth.kv (k, v) VALUES (1, 'authenticated')")
    finally:
        cluster.shutdown()
    for name in ("source", "target"):
        c, s = connect(node_settings(name), 4)
        try:
            assert s.execute("SELECT v FROM tandem_auth.kv WHERE k = 1").one().v == "authenticated"
        finally:
            c.shutdown()


def test_wrong_credentials_get_an_authentication_error(proxy):
    source = node_settings("source")
    cluster = through_proxy(proxy, source.user, "not-the-password")
    try:
        with pytest.raises(NoHostAvailable) as raised:
            cluster.connect()
        errors = list(raised.value.errors.values())
        assert errors and isinstance(errors[0], AuthenticationFailed), errors
    finally:
        cluster.shutdown()
