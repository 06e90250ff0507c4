// A gocql client for the integration tests: connects through the Tandem proxy, writes a row
// with a prepared statement (gocql prepares every bound query) and reads it back.
// Usage: gocql_client HOST PORT PROTOCOL_VERSION
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/gocql/gocql"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: gocql_client HOST PORT PROTOCOL_VERSION")
		os.Exit(2)
	}
	port, _ := strconv.Atoi(os.Args[2])
	version, _ := strconv.Atoi(os.Args[3])
	cluster := gocql.NewCluster(os.Args[1])
	cluster.Port = port
	cluster.ProtoVersion = version
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
	if err := session.Query("INSERT INTO tandem_gocql.kv (k, v) VALUES (?, ?)", version, "from gocql").Exec(); err != nil {
		fmt.Fprintln(os.Stderr, "insert:", err)
		os.Exit(1)
	}
	var v string
	if err := session.Query("SELECT v FROM tandem_gocql.kv WHERE k = ?", version).Scan(&v); err != nil {
		fmt.Fprintln(os.Stderr, "select:", err)
		os.Exit(1)
	}
	fmt.Println("read:", v)
}
