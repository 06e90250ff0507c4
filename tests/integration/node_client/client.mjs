// The DataStax Node.js driver (npm cassandra-driver) through the Tandem proxy, for the
// integration tests: connects with the given protocol version, writes rows with a prepared
// statement and a batch, reads them back, and prints what it saw.
// Usage: node client.mjs HOST PORT PROTOCOL_VERSION DATA_CENTER KEY
import cassandra from "cassandra-driver";

const [host, port, version, dc, key] = process.argv.slice(2);
const client = new cassandra.Client({
  contactPoints: [`${host}:${port}`],
  localDataCenter: dc,
  protocolOptions: { port: Number(port), maxVersion: Number(version) },
  socketOptions: { readTimeout: 20000, connectTimeout: 20000 },
});
try {
  await client.connect();
  await client.execute("CREATE KEYSPACE IF NOT EXISTS tandem_node WITH replication = " +
                       "{'class': 'SimpleStrategy', 'replication_factor': 1}");
  await client.execute("CREATE TABLE IF NOT EXISTS tandem_node.kv (k int PRIMARY KEY, v text)");
  const k = Number(key);
  await client.execute("INSERT INTO tandem_node.kv (k, v) VALUES (?, ?)", [k, "from node"],
                       { prepare: true });
  await client.batch([
    { query: "INSERT INTO tandem_node.kv (k, v) VALUES (?, ?)", params: [k + 1, "batch"] },
    { query: "INSERT INTO tandem_node.kv (k, v) VALUES (?, ?)", params: [k + 2, "batch"] },
  ], { prepare: true });
  const rs = await client.execute("SELECT k, v FROM tandem_node.kv WHERE k IN (?, ?, ?)",
                                  [k, k + 1, k + 2], { prepare: true });
  console.log("protocol " + client.getState().getConnectedHosts().length + " hosts, version " +
              client.controlConnection.protocolVersion);
  console.log("rows " + rs.rows.map((r) => r.k + "=" + r.v).sort().join(","));
  console.log("hosts " + client.hosts.keys().join(","));
} catch (e) {
  console.error("node client: " + (e.stack || e));
  process.exitCode = 1;
} finally {
  await client.shutdown();
}
