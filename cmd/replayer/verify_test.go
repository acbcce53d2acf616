package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/backfill/backfilltest"
)

// captureStdout runs f with os.Stdout redirected and returns what it printed.
func captureStdout(t *testing.T, f func() error) (string, error) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() { var b bytes.Buffer; io.Copy(&b, r); done <- b.String() }()
	ferr := f()
	os.Stdout = old
	w.Close()
	return <-done, ferr
}

// TestVerifyAndReportCommands runs `replayer verify` and `replayer report` (as the CLI would,
// flags parsed by cobra) against a source copied into both sinks: a clean copy exits 0, a
// corrupted one fails with errMismatch naming the key, and reports print their columns.
func TestVerifyAndReportCommands(t *testing.T) {
	bs := backfilltest.NewOrderSource(t, 0)
	st, src, srcDB := bs.Stack, bs.Src, bs.DB
	backfilltest.SeedOrders(t, src, srcDB, 300, 2)
	c := backfilltest.NewCopies(t, st)
	c.EnsureSchema(t, st, srcDB)
	c.Load(t, src, srcDB)
	common := func(sinkName, copyDB, viewDB string) []string {
		return []string{"--sink", sinkName, "--mysql-dsn", st.CopyDSN(""), "--clickhouse-addr", st.ClickHouseAddr,
			"--copy-database", copyDB, "--view-database", viewDB, "--source-dsn", st.SourceDSN(""), "--log-level", "error"}
	}
	run := func(args ...string) (string, error) {
		var cmd = newVerifyCmd()
		if args[0] == "report" {
			cmd, args = newReportCmd(), args[1:]
		}
		cmd.SetArgs(args)
		cmd.SetContext(context.Background())
		return captureStdout(t, cmd.Execute)
	}
	for _, tc := range []struct{ sink, copyDB, viewDB string }{
		{"mysql", c.MySQLCopy, c.MySQLLive}, {"clickhouse", c.CHCopy, c.CHLive},
	} {
		t.Run(tc.sink, func(t *testing.T) {
			args := append(common(tc.sink, tc.copyDB, tc.viewDB), "--table", srcDB, "--retry-interval", "10ms", "--retries", "1")
			out, err := run(args...)
			if err != nil || !strings.Contains(out, srcDB+".orders") || strings.Contains(out, " MISMATCH\n") {
				t.Fatalf("verify of a clean copy: err %v\n%s", err, out)
			}
			out, err = run(append([]string{"report", "orders_by_status", "--source-database", srcDB}, common(tc.sink, tc.copyDB, tc.viewDB)...)...)
			if err != nil || !strings.HasPrefix(out, "order_status") || strings.Count(out, "\n") < 3 {
				t.Fatalf("report: err %v\n%s", err, out)
			}
		})
	}
	var id string
	if err := c.MySQL.QueryRow("SELECT MIN(id) FROM `" + c.MySQLCopy + "`.payments").Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := c.MySQL.Exec("UPDATE `"+c.MySQLCopy+"`.payments SET amount = amount + 1 WHERE id = ?", id); err != nil {
		t.Fatal(err)
	}
	args := append(common("mysql", c.MySQLCopy, c.MySQLLive), "--table", srcDB+".payments", "--retry-interval", "10ms", "--retries", "1")
	out, err := run(args...)
	if !errors.Is(err, errMismatch) || !strings.Contains(out, "changed  "+id) {
		t.Fatalf("verify of a corrupted copy: err %v (want errMismatch)\n%s", err, out)
	}
}
