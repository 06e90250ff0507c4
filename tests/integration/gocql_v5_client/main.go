// A client of Apache's gocql driver v2 (github.com/apache/cassandra-gocql-driver/v2, which speaks
// protocol v5) for the integration tests: connects through the Tandem proxy with protocol 5 and,
// when asked, lz4 compression, writes a row with a prepared statement and reads it back.
// Usage: gocql_v5_client HOST PORT none|lz4 KEY
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/apache/cassandra-gocql-driver/v2/lz4"
)

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: gocql_v5_client HOST PORT none|lz4 KEY")
		os.Exit(2)
	}
	port, _ := strconv.Atoi(os.Args[2])
	key, _ := strconv.Atoi(os.Args[4])
	cluster := gocql.NewCluster(os.Args[1])
	cluster.Port = port
	cluster.ProtoVersion = 5
	if os.Args[3] == "lz4" {
		cluster.Compressor = &lz4.LZ4Compressor{}
	}
	cluster.Timeout = 20 * time.Second
	cluster.ConnectTimeout = 20 * time.Second
	session, err := cluster.CreateSession()
	if err != nil {
		fmt.Fprintln(os.Stderr, "connect:", err)
		os.Exit(1)
	}
	defer session.Close()
	steps := []string{
		"CREATE KEYSPACE IF NOT EXISTS tandem_gocql WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE IF NOT EXISTS tandem_gocql.kv (k int PRIMARY KEY, v text)",
	}
	for _, s := range steps {
		if err := session.Query(s).Exec(); err != nil {
			fmt.Fprintln(os.Stderr, s, ":", err)
			os.Exit(1)
		}
	}
	value := "from gocql v5 " + os.Args[3]
	if err := session.Query("INSERT INTO tandem_gocql.kv (k, v) VALUES (?, ?)", key, value).Exec(); err != nil {
		fmt.Fprintln(os.Stderr, "insert:", err)
		os.Exit(1)
	}
	var v string
	if err := session.Query("SELECT v FROM tandem_gocql.kv WHERE k = ?", key).Scan(&v); err != nil {
		fmt.Fprintln(os.Stderr, "select:", err)
		os.Exit(1)
	}
	fmt.Println("read:", v)
	fmt.Println("driver: apache/cassandra-gocql-driver/v2, protocol 5, compression", os.Args[3])
}
