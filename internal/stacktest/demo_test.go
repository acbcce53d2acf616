package stacktest

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/backfill"
	"github.com/ferry-cdc/ferry/pkg/backfill/backfilltest"
	"github.com/ferry-cdc/ferry/pkg/event"
)

// TestDemoRecoversFromAHalt: a replayer of the demo halts on a poison message; the next
// `scripts/demo` run (here its `pipeline` part: reset, tailer and both replayers) must apply new
// changes again. Consumer groups keep their offsets on the broker, so a run that reused the
// topic and groups would resume at the poison message and apply nothing. The demo works on the
// fixed databases shop / shop_copy / shop_live of the stack; its processes run from a private
// folder on private metrics ports and the stack's servers are not touched.
func TestDemoRecoversFromAHalt(t *testing.T) {
	s := testenv.Get(t)
	dir := t.TempDir()
	base := freePortBase(t)
	demo := func(args ...string) {
		t.Helper()
		cmd := exec.Command("bash", append([]string{filepath.Join(testenv.RepoRoot(), "scripts", "demo")}, args...)...)
		cmd.Env = append(os.Environ(), "FERRY_STACK_DIR="+s.Dir, "FERRY_DEMO_DIR="+dir, fmt.Sprintf("FERRY_DEMO_PORT_BASE=%d", base))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("scripts/demo %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	t.Cleanup(func() { demo("stop") })
	const id = 4242420
	demo("pipeline")
	first := readRunEnv(t, dir)
	poison(t, s, first["FERRY_DEMO_TOPIC"], id)
	for _, name := range []string{"replayer-mysql", "replayer-clickhouse"} {
		if log, ok := waitLog(filepath.Join(dir, name+".log"), "replayer halted", 90*time.Second); !ok {
			t.Fatalf("%s did not halt on the poison message within 90 s; log:\n%s", name, tail(log, 3000))
		}
	}
	demo("pipeline")
	second := readRunEnv(t, dir)
	for _, k := range []string{"FERRY_DEMO_TOPIC", "FERRY_DEMO_GROUP_MYSQL", "FERRY_DEMO_GROUP_CLICKHOUSE"} {
		if first[k] == second[k] {
			t.Errorf("%s is %q in both runs; a reset must not reuse broker state", k, first[k])
		}
	}
	src := s.OpenSource(t, "shop")
	if _, err := src.Exec("INSERT INTO products (id, sku, name, price, created_at) VALUES (?, 'demo-reset', 'x', 1.50, NOW(3))", id); err != nil {
		t.Fatal(err)
	}
	cp := s.OpenCopy(t, "shop_live")
	ch := backfilltest.OpenClickHouse(s, "shop_live")
	defer ch.Close()
	for name, db := range map[string]*sql.DB{"mysql": cp, "clickhouse": ch} {
		waitRow(t, name, db, fmt.Sprintf("SELECT COUNT(*) FROM products WHERE id = %d", id), 90*time.Second)
	}
}

// freePortBase returns a base such that base+1..base+6 are free.
func freePortBase(t *testing.T) int {
	t.Helper()
	for range 50 {
		base := 20000 + rand.IntN(20000)
		ok := true
		for p := base + 1; p <= base+6 && ok; p++ {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				ok = false
				continue
			}
			l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free metrics ports")
	return 0
}

func readRunEnv(t *testing.T, dir string) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "run.env"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			out[k] = v
		}
	}
	return out
}

// poison publishes a change event for shop.products key id that the replayers refuse (a row
// image without the columns its message lists), on the queue the tailer uses for that key.
func poison(t *testing.T, s *testenv.Stack, topic string, id int) {
	t.Helper()
	ctx := context.Background()
	pub, err := backfill.NewCanalPublisher(ctx, backfilltest.TailerConfig(t, s, "shop", topic), backfilltest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close(ctx)
	m := &event.Message{ID: 1, Database: "shop", Table: "products", PKNames: []string{"id"}, Type: event.TypeInsert,
		ES: time.Now().UnixMilli(), MySQLType: map[string]string{"id": "bigint unsigned", "sku": "varchar(64)"},
		SQLType: map[string]int{"id": -5, "sku": 12},
		Data:    []map[string]*string{{"id": event.Str(fmt.Sprint(id))}},
		Ferry:   &event.Meta{Format: event.Format, Versions: []uint64{1}, File: "binlog.000001", Pos: 4, ServerID: 1, Columns: []string{"id", "sku"}}}
	if err := pub.Publish(ctx, []backfill.Outgoing{{Msg: m}}); err != nil {
		t.Fatalf("publish poison: %v", err)
	}
}

func tail(b []byte, n int) string { return string(b[max(0, len(b)-n):]) }

// waitLog waits until the file at path contains text; it returns the file's content.
func waitLog(path, text string, timeout time.Duration) ([]byte, bool) {
	deadline := time.Now().Add(timeout)
	for {
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), text) {
			return b, true
		}
		if time.Now().After(deadline) {
			return b, false
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func waitRow(t *testing.T, name string, db *sql.DB, q string, timeout time.Duration) {
	t.Helper()
	testenv.WaitFor(t, timeout, fmt.Sprintf("the row written after the reset in the %s copy (%s)", name, q), func() bool {
		var n int
		return db.QueryRow(q).Scan(&n) == nil && n == 1
	})
}
