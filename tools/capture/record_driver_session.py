#!/usr/bin/env python3
"""Records the bytes a real driver and a real Cassandra exchange, as hex test data.

A small relay listens on 127.0.0.1, forwards each connection to the real node and records every
chunk in each direction. The Python driver runs a short fixed session through it (schema, plain
writes, a prepared write, a batch, a paged read) with the protocol version and compression
asked for. The output file holds one block per TCP connection:

    # connection 1
    C 0400000005000000...     client -> server chunk
    S 8400000006000000...     server -> client chunk

Usage: record_driver_session.py --version 5 --compression lz4 --out tests/data/capture_v5_lz4.txt
"""
import argparse
import asyncio
import threading

from cassandra.cluster import Cluster, ExecutionProfile, EXEC_PROFILE_DEFAULT
from cassandra.policies import WhiteListRoundRobinPolicy
from cassandra.query import BatchStatement, SimpleStatement


class Recorder:
    def __init__(self):
        self.connections = []
        self.lock = threading.Lock()

    def new_connection(self):
        with self.lock:
            self.connections.append([])
            return self.connections[-1]


async def pipe(reader, writer, log, tag):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            log.append((tag, data.hex()))
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


def start_relay(recorder, upstream_host, upstream_port, ready, listening):
    loop = asyncio.new_event_loop()

    async def handle(client_reader, client_writer):
        log = recorder.new_connection()
        server_reader, server_writer = await asyncio.open_connection(upstream_host, upstream_port)
        await asyncio.gather(pipe(client_reader, server_writer, log, "C"),
                             pipe(server_reader, client_writer, log, "S"))

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        ready.append(server.sockets[0].getsockname()[1])
        listening.set()
        async with server:
            await server.serve_forever()

    loop.run_until_complete(main())


def run_session(port, version, compression):
    profile = ExecutionProfile(load_balancing_policy=WhiteListRoundRobinPolicy(["127.0.0.1"]))
    cluster = Cluster(["127.0.0.1"], port=port, protocol_version=version,
                      compression=compression or False,
                      execution_profiles={EXEC_PROFILE_DEFAULT: profile},
                      schema_metadata_enabled=False, token_metadata_enabled=False,
                      connect_timeout=20)
    session = cluster.connect()
    session.execute("CREATE KEYSPACE IF NOT EXISTS capture WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE IF NOT EXISTS capture.kv (k int, c int, v text, "
                    "PRIMARY KEY (k, c))")
    session.execute("INSERT INTO capture.kv (k, c, v) VALUES (1, 1, 'one') USING TIMESTAMP 1000")
    insert = session.prepare("INSERT INTO capture.kv (k, c, v) VALUES (?, ?, ?)")
    session.execute(insert, (1, 2, "two"))
    batch = BatchStatement()
    batch.add(insert, (1, 3, "three"))
    batch.add(SimpleStatement("INSERT INTO capture.kv (k, c, v) VALUES (1, 4, 'four')"))
    session.execute(batch)
    session.execute(insert, (1, 5, "x" * 3000))  # a body lz4 actually compresses
    rows = list(session.execute(SimpleStatement("SELECT k, c, v FROM capture.kv WHERE k = 1",
                                                fetch_size=2)))
    assert len(rows) == 5, rows
    session.execute("SELECT * FROM capture.kv WHERE k = 42")
    cluster.shutdown()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--version", type=int, required=True)
    ap.add_argument("--compression", default="")
    ap.add_argument("--host", default="127.0.0.2")
    ap.add_argument("--port", type=int, default=9042)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    recorder = Recorder()
    ready = []
    listening = threading.Event()
    threading.Thread(target=start_relay,
                     args=(recorder, args.host, args.port, ready, listening), daemon=True).start()
    if not listening.wait(10):
        raise SystemExit("relay did not start")
    run_session(ready[0], args.version, args.compression)
    with open(args.out, "w") as out:
        out.write(f"# driver session through a recording relay: protocol v{args.version}, "
                  f"compression {args.compression or 'none'}, Cassandra at {args.host}\n")
        with recorder.lock:
            for i, conn in enumerate(recorder.connections, 1):
                out.write(f"# connection {i}\n")
                for tag, hexdata in conn:
                    out.write(f"{tag} {hexdata}\n")


if __name__ == "__main__":
    main()
