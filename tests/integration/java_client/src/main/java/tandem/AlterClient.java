package tandem;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Issue 13, case 1: a prepared SELECT * executed before and after ALTER TABLE ... ADD, to see
 * whether the Java driver learns the new column (Cassandra makes it prepare again: UNPREPARED,
 * or in v5 a new result_metadata_id). Prints "columns-before N", "columns-after N" (the rows'
 * column definitions), "statement-columns N" (the prepared statement's own, which the driver
 * decodes with when it skips the metadata) and "c VALUE" (the new column of the row read after
 * the ALTER). Arguments: host port local-data-center protocol-version(V4|V5) keyspace [wait];
 * with "wait" it prints "prepared" after the first read and waits for a line on its standard
 * input before the ALTER (the test flips the proxy's reads to the target meanwhile).
 */
public final class AlterClient {
  public static void main(String[] args) throws java.io.IOException {
    String ks = args[4];
    DriverConfigLoader config =
        DriverConfigLoader.programmaticBuilder()
            .withString(DefaultDriverOption.PROTOCOL_VERSION, args[3])
            .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(20))
            .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, Duration.ofSeconds(10))
            .build();
    try (CqlSession session =
        CqlSession.builder()
            .addContactPoint(new InetSocketAddress(args[0], Integer.parseInt(args[1])))
            .withLocalDatacenter(args[2])
            .withConfigLoader(config)
            .build()) {
      session.execute("DROP KEYSPACE IF EXISTS " + ks);
      session.execute(
          "CREATE KEYSPACE " + ks
              + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
      session.execute("CREATE TABLE " + ks + ".t (k int PRIMARY KEY, a int, b int)");
      session.execute("INSERT INTO " + ks + ".t (k, a, b) VALUES (1, 10, 20)");
      PreparedStatement select = session.prepare("SELECT * FROM " + ks + ".t WHERE k = ?");
      ResultSet before = session.execute(select.bind(1));
      System.out.println("columns-before " + before.getColumnDefinitions().size());
      if (args.length > 5 && args[5].equals("wait")) {
        System.out.println("prepared");
        System.out.flush();
        new java.io.BufferedReader(new java.io.InputStreamReader(System.in)).readLine();
      }
      session.execute("ALTER TABLE " + ks + ".t ADD c int");
      session.execute("UPDATE " + ks + ".t SET c = 30 WHERE k = 1");
      ResultSet after = session.execute(select.bind(1));
      Row row = after.one();
      System.out.println("columns-after " + after.getColumnDefinitions().size());
      System.out.println("statement-columns " + select.getResultSetDefinitions().size());
      System.out.println("c " + (after.getColumnDefinitions().contains("c") ? row.getInt("c") : "absent"));
    }
  }
}
