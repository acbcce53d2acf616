package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/replayer"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestRunServesMetricsAndStops runs `replayer run` in-process with settings from a YAML file,
// the environment and flags, checks /readyz and the ferry_replayer_* metrics, and stops it
// gracefully by cancelling its context (what SIGTERM does).
func TestRunServesMetricsAndStops(t *testing.T) {
	st := testenv.Get(t)
	topic := st.NewTopic(t, 2)
	copyDB, viewDB := st.NewCopyDatabase(t), st.NewCopyDatabase(t)
	addr := freeAddr(t)
	yaml := filepath.Join(t.TempDir(), "replayer.yaml")
	// The file sets a wrong topic that the flag must override, and the view database.
	body := fmt.Sprintf("sink: mysql\ntopic: wrong_topic\nview-database: %s\nflush-interval: 50ms\n", viewDB)
	if err := os.WriteFile(yaml, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FERRY_REPLAYER_COPY_DATABASE", copyDB)
	t.Setenv("FERRY_REPLAYER_MYSQL_DSN", st.CopyDSN(""))
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"run", "--config", yaml, "--topic", topic, "--name-server", st.NameServer,
		"--group", testenv.UniqueName("cmd_test"), "--metrics-addr", addr, "--log-level", "warn"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, _ := get(t, "http://"+addr+"/readyz")
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("/readyz not 200 within 30 s (last %d); run error: %v", code, <-done)
		}
		time.Sleep(100 * time.Millisecond)
	}
	publishOne(t, st, topic)
	db := st.OpenCopy(t, viewDB)
	for n := 0; n != 1; {
		_ = db.QueryRow(fmt.Sprintf("SELECT COUNT(*) FROM `%s`.`items`", viewDB)).Scan(&n)
		if time.Now().After(deadline.Add(30 * time.Second)) {
			cancel()
			t.Fatalf("the published row did not reach %s.items (view database from YAML, copy database from env, topic from the flag)", viewDB)
		}
		time.Sleep(100 * time.Millisecond)
	}
	code, metrics := get(t, "http://"+addr+"/metrics")
	if code != http.StatusOK || !strings.Contains(metrics, "ferry_replayer_halted 0") ||
		!strings.Contains(metrics, `ferry_replayer_rows_applied_total{op="insert",sink="mysql",table="shop.items"} 1`) || !strings.Contains(metrics, "process_resident_memory_bytes") {
		t.Fatalf("/metrics = %d without ferry_replayer_halted 0 / process metrics:\n%.2000s", code, metrics)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run after cancel = %v, want nil (graceful)", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("run did not stop within 60 s of cancellation")
	}
}

// TestSchemaGeneratesCopyDDL runs `replayer schema` against a fresh source database with the
// order schema and checks the copy tables, views and generated file.
func TestSchemaGeneratesCopyDDL(t *testing.T) {
	st := testenv.Get(t)
	srcDB := st.NewSourceDatabase(t)
	testenv.LoadOrderSchema(t, st.OpenSource(t, srcDB))
	copyDB, viewDB := st.NewCopyDatabase(t), st.NewCopyDatabase(t)
	out := filepath.Join(t.TempDir(), "copy.sql")
	for range 2 { // the second run must find nothing to do
		cmd := newRootCmd()
		var stdout bytes.Buffer
		cmd.SetOut(&stdout)
		cmd.SetArgs([]string{"schema", "--sink", "mysql", "--source-dsn", st.SourceDSN(""), "--source-database", srcDB,
			"--mysql-dsn", st.CopyDSN(""), "--copy-database", copyDB, "--view-database", viewDB, "--out", out, "--log-level", "warn"})
		if err := cmd.ExecuteContext(context.Background()); err != nil {
			t.Fatalf("schema: %v", err)
		}
		t.Log(strings.TrimSpace(stdout.String()))
	}
	db := st.OpenCopy(t, copyDB)
	var uniques int
	if err := db.QueryRow("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND NON_UNIQUE = 0 AND INDEX_NAME <> 'PRIMARY'", copyDB).Scan(&uniques); err != nil || uniques != 0 {
		t.Fatalf("copy has %d unique keys besides primary keys (%v), want 0", uniques, err)
	}
	var n int
	if err := db.QueryRow(fmt.Sprintf("SELECT COUNT(*) FROM `%s`.`orders`", viewDB)).Scan(&n); err != nil {
		t.Fatalf("view %s.orders: %v", viewDB, err)
	}
	b, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(b), "CREATE TABLE IF NOT EXISTS `"+copyDB+"`.`orders`") {
		t.Fatalf("generated file lacks the orders copy table (%v):\n%.500s", err, b)
	}
}

// publishOne sends one INSERT change event for shop.items to topic.
func publishOne(t *testing.T, st *testenv.Stack, topic string) {
	t.Helper()
	m := &event.Message{ID: 1, Database: "shop", Table: "items", PKNames: []string{"id"}, Type: event.TypeInsert,
		ES: time.Now().UnixMilli(), MySQLType: map[string]string{"id": "bigint(20) unsigned", "name": "varchar(20)"},
		Data:  []map[string]*string{{"id": event.Str("1"), "name": event.Str("widget")}},
		Ferry: &event.Meta{Format: event.Format, Versions: []uint64{99}, File: "mysql-bin.000001", Pos: 4, ServerID: 1, Columns: []string{"id", "name"}}}
	body, err := event.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	p, err := rocketmq.NewProducer(producer.WithNsResolver(primitive.NewPassthroughResolver([]string{st.NameServer})),
		producer.WithGroupName(testenv.UniqueName("cmd_pub")), producer.WithInstanceName(testenv.UniqueName("cmd_pub")))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if res, err := p.SendSync(ctx, primitive.NewMessage(topic, body)); err != nil || res.Status != primitive.SendOK {
		t.Fatalf("publish: %v %v", res, err)
	}
}

// TestDDLSkipRecordsVersion runs `replayer ddl skip` and checks that the version is recorded
// in the copy's _ferry_ddl_applied table, where ApplyDDL looks before applying.
func TestDDLSkipRecordsVersion(t *testing.T) {
	st := testenv.Get(t)
	copyDB, viewDB := st.NewCopyDatabase(t), st.NewCopyDatabase(t)
	for _, args := range [][]string{
		{"ddl", "skip", "--sink", "mysql", "--mysql-dsn", st.CopyDSN(""), "--copy-database", copyDB, "--view-database", viewDB},
		{"ddl", "skip", "--sink", "mysql", "--mysql-dsn", st.CopyDSN(""), "--copy-database", copyDB, "--view-database", viewDB, "--version", "72057594037928163", "--note", "applied by hand"},
	} {
		cmd := newRootCmd()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetArgs(args)
		err := cmd.ExecuteContext(context.Background())
		if len(args) == 10 {
			if err == nil || !strings.Contains(err.Error(), "--version is required") {
				t.Fatalf("ddl skip without --version = %v, want an error asking for it", err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("ddl skip: %v", err)
		}
	}
	var action, note string
	err := st.OpenCopy(t, copyDB).QueryRow("SELECT action, statement FROM _ferry_ddl_applied WHERE version = 72057594037928163").Scan(&action, &note)
	if err != nil || action != "skip" || note != "applied by hand" {
		t.Fatalf("recorded skip = %q %q (%v), want skip / applied by hand", action, note, err)
	}
}

func TestFlushIntervalPerSink(t *testing.T) {
	for _, tc := range []struct {
		sink string
		want time.Duration
	}{
		{sinkMySQL, 200 * time.Millisecond},
		{sinkClickHouse, 500 * time.Millisecond},
	} {
		t.Run(tc.sink, func(t *testing.T) {
			if got := replayer.DefaultFlushInterval(tc.sink); got != tc.want {
				t.Fatalf("DefaultFlushInterval(%s) = %v, want %v", tc.sink, got, tc.want)
			}
		})
	}
}
