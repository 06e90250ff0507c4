package tandem;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DefaultProtocolVersion;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.metadata.Node;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Connects to the proxy with the Java driver 4.x, creates a table, writes with a simple
 * statement, a prepared statement (with now()) and a logged batch, reads the rows back, and
 * prints one line per fact for the Python test to check: "nodes <address list>", "protocol <v>",
 * "rows <n>". Arguments: host port local-data-center protocol-version(V4|V5) keyspace.
 */
public final class JavaClient {
  public static void main(String[] args) {
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    String dc = args[2];
    String version = args[3];
    String ks = args[4];
    DriverConfigLoader config =
        DriverConfigLoader.programmaticBuilder()
            .withString(DefaultDriverOption.PROTOCOL_VERSION, version)
            .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(20))
            .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, Duration.ofSeconds(10))
            .build();
    try (CqlSession session =
        CqlSession.builder()
            .addContactPoint(new InetSocketAddress(host, port))
            .withLocalDatacenter(dc)
            .withConfigLoader(config)
            .build()) {
      StringBuilder nodes = new StringBuilder();
      for (Node n : session.getMetadata().getNodes().values()) {
        nodes.append(nodes.length() == 0 ? "" : ",").append(n.getEndPoint().resolve());
      }
      System.out.println("nodes " + nodes);
      System.out.println("protocol " + session.getContext().getProtocolVersion());
      // A sixth argument "existing": the test made the keyspace on each cluster itself (each
      // with its own replication, on multi-node clusters); only its table is made here.
      boolean existing = args.length > 5 && args[5].equals("existing");
      if (!existing) {
        session.execute("DROP KEYSPACE IF EXISTS " + ks);
        session.execute(
            "CREATE KEYSPACE " + ks
                + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
      }
      session.execute(
          "CREATE TABLE IF NOT EXISTS " + ks + ".items (k int PRIMARY KEY, v text, t timeuuid)");
      session.execute("INSERT INTO " + ks + ".items (k, v) VALUES (0, 'simple')");
      PreparedStatement insert =
          session.prepare("INSERT INTO " + ks + ".items (k, v, t) VALUES (?, ?, now())");
      for (int k = 1; k <= 20; k++) {
        session.execute(insert.bind(k, "prepared " + k));
      }
      BatchStatement batch =
          BatchStatement.newInstance(DefaultBatchType.LOGGED)
              .add(insert.bind(21, "batched"))
              .add(insert.bind(22, "batched"));
      session.execute(batch);
      int count = 0;
      for (Row row : session.execute("SELECT k, v FROM " + ks + ".items")) {
        count++;
      }
      System.out.println("rows " + count);
    }
  }
}
