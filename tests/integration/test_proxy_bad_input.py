"""Issue 3, done-means 8: garbage bytes, a frame length above the limit, an unknown opcode and a
truncated body from one client get a PROTOCOL_ERROR and that client's disconnection, while
another client keeps writing through the same proxy; and an unsupported protocol version gets
the error that makes drivers step down."""

import socket
import struct
import threading

import pytest

from conftest import create_keyspace
from live_writer import LiveWriter
from proxy_process import ProxyProcess

PROTOCOL_ERROR = 0x000A


@pytest.fixture(scope="module")
def proxy():
    p = ProxyProcess(port=9146, yaml_text="  instances: [\"127.0.0.1:9146\"]\n"
                     "limits:\n  max_frame_bytes: 1MiB\n").start()
    yield p
    p.stop()


def frame(version, opcode, body=b"", stream=1, flags=0, length=None):
    return struct.pack(">BBhBI", version, flags, stream, opcode,
                       len(body) if length is None else length) + body


def startup_v4():
    body = struct.pack(">H", 1) + struct.pack(">H", 11) + b"CQL_VERSION" + struct.pack(">H", 5) + b"3.0.0"
    return frame(4, 0x01, body)


def read_frame(sock):
    header = b""
    while len(header) < 9:
        chunk = sock.recv(9 - len(header))
        if not chunk:
            return None
        header += chunk
    version, flags, stream, opcode, length = struct.unpack(">BBhBI", header)
    body = b""
    while len(body) < length:
        chunk = sock.recv(length - len(body))
        if not chunk:
            break
        body += chunk
    return version, stream, opcode, body


def closed_after(sock):
    sock.settimeout(10)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def error_of(answer):
    version, stream, opcode, body = answer
    assert opcode == 0x00, f"expected ERROR, got opcode {opcode}"
    code = struct.unpack(">i", body[:4])[0]
    n = struct.unpack(">H", body[4:6])[0]
    return code, body[6:6 + n].decode()


CASES = {
    "garbage": lambda: b"\x04\x00\x00\x01\x42garbage-garbage",
    "length_above_limit": lambda: startup_v4() + frame(4, 0x07, b"", length=64 * 1024 * 1024),
    "unknown_opcode": lambda: startup_v4() + frame(4, 0x04, b"xx"),
    "truncated_query_body": lambda: startup_v4() + frame(4, 0x07, b"\x00\x00\x10\x00SELECT"),
}


class SteadyWriter(LiveWriter):
    def __init__(self, proxy):
        super().__init__(proxy)
        create_keyspace(self.session, "tandem_bad")
        self.session.execute("CREATE TABLE IF NOT EXISTS tandem_bad.kv (k int PRIMARY KEY, v int)")
        self.insert = self.session.prepare("INSERT INTO tandem_bad.kv (k, v) VALUES (?, ?)")
        self.i = 0

    def write(self):
        i = self.i
        self.i += 1
        self.session.execute(self.insert, (i % 100, i))


@pytest.fixture
def steady_writer(proxy):
    """A real driver writing through the proxy during the test; its errors are collected."""
    with SteadyWriter(proxy) as writer:
        yield writer


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_gets_a_protocol_error_and_others_keep_writing(proxy, steady_writer, case):
    before = steady_writer.writes
    with socket.create_connection((proxy.host, proxy.port), timeout=10) as sock:
        sock.sendall(CASES[case]())
        answers = []
        while True:
            answer = read_frame(sock)
            if answer is None:
                break
            answers.append(answer)
            if answer[2] == 0x00:
                break
        assert answers, "the proxy closed without an answer"
        code, message = error_of(answers[-1])
        assert code == PROTOCOL_ERROR, message
        assert closed_after(sock)
    # The other client was not disturbed.
    deadline_writes = before + 20
    for _ in range(200):
        if steady_writer.writes >= deadline_writes:
            break
        threading.Event().wait(0.05)
    assert steady_writer.writes >= deadline_writes
    assert steady_writer.errors == []


@pytest.mark.parametrize("version", [1, 2, 6, 7, 66])
def test_an_unsupported_version_gets_the_error_drivers_step_down_on(proxy, version):
    with socket.create_connection((proxy.host, proxy.port), timeout=10) as sock:
        sock.sendall(bytes([version, 0, 0, 0, 5, 0, 0, 0, 0]))
        answer = read_frame(sock)
        assert answer is not None
        code, message = error_of(answer)
        assert code == PROTOCOL_ERROR
        assert f"unsupported protocol version ({version})" in message
        assert closed_after(sock)
