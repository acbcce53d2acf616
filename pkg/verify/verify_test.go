package verify_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/backfill"
	"github.com/ferry-cdc/ferry/pkg/backfill/backfilltest"
	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/chsink"
	"github.com/ferry-cdc/ferry/pkg/sink/mysqlsink"
	"github.com/ferry-cdc/ferry/pkg/verify"
)

// fixture is a seeded source database copied into both sinks.
type fixture struct {
	st     *testenv.Stack
	srcDB  string
	src    *sql.DB
	copies *backfilltest.Copies
}

func newFixture(t *testing.T, orders int) *fixture {
	t.Helper()
	f := newSourceFixture(t)
	testenv.LoadOrderSchema(t, f.st.OpenSource(t, f.srcDB))
	backfilltest.SeedOrders(t, f.src, f.srcDB, orders, 3)
	f.loadCopies(t)
	return f
}

// newSourceFixture creates a fresh source database on the shared stack; f.src is the source
// server (no default database), f.copies is not set yet.
func newSourceFixture(t *testing.T) *fixture {
	t.Helper()
	st := testenv.Get(t)
	return &fixture{st: st, srcDB: st.NewSourceDatabase(t), src: backfilltest.OpenSource(t, st)}
}

// loadCopies backfills the source database into fresh MySQL and ClickHouse copies.
func (f *fixture) loadCopies(t *testing.T) {
	t.Helper()
	f.copies = backfilltest.NewCopies(t, f.st)
	f.copies.Load(t, f.src, f.srcDB)
}

// exec runs statements on the source server.
func (f *fixture) exec(t *testing.T, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := f.src.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}

func (f *fixture) copyOf(name string) verify.Copy {
	if name == "mysql" {
		return &mysqlsink.Reader{DB: f.copies.MySQL, Database: f.copies.MySQLCopy}
	}
	return &chsink.Reader{DB: f.copies.CH, Database: f.copies.CHCopy}
}

func (f *fixture) sinkOf(name string) sink.Sink {
	if name == "mysql" {
		return f.copies.MySQLSink
	}
	return f.copies.CHSink
}

// repairer re-snapshots keys through backfill straight into one sink.
func (f *fixture) repairer(t *testing.T, s sink.Sink) verify.Repairer {
	cfg := backfill.DefaultConfig()
	cfg.CheckpointDir = t.TempDir()
	b, err := backfill.New(cfg, f.src, &backfilltest.SinkPublisher{Sinks: []sink.Sink{s}}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return verify.RepairFunc(func(ctx context.Context, ref verify.TableRef, keys [][]string) error {
		_, err := b.RepairKeys(ctx, ref.String(), keys)
		return err
	})
}

func quickConfig() verify.Config {
	cfg := verify.DefaultConfig()
	cfg.ChunkRows, cfg.DiffRows, cfg.RetryInterval, cfg.Retries = 300, 40, 50*time.Millisecond, 1
	return cfg
}

func diffStrings(ds []verify.KeyDiff) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = string(d.Kind) + ":" + strings.Join(d.Key, ",")
	}
	sort.Strings(out)
	return out
}

// TestVerifyCorruptedCopy corrupts each copy (a changed row, a physically deleted row, a row
// turned into a tombstone, an extra row, a changed composite-key row), checks verify reports
// exactly those keys, repairs them through backfill and checks the copy verifies clean again.
func TestVerifyCorruptedCopy(t *testing.T) {
	f := newFixture(t, 2000)
	tables := []verify.TableRef{{Database: f.srcDB, Name: "orders"}, {Database: f.srcDB, Name: "order_items"}, {Database: f.srcDB, Name: "products"}}
	for _, sinkName := range []string{"mysql", "clickhouse"} {
		t.Run(sinkName, func(t *testing.T) {
			clean := run(t, f, sinkName, tables, nil, nil)
			for _, r := range clean {
				if !r.OK() || r.SourceRows == 0 || r.SourceRows != r.CopyRows {
					t.Fatalf("before corruption %s: ok=%v rows %d/%d diffs %v", r.Table, r.OK(), r.SourceRows, r.CopyRows, r.Diffs)
				}
			}
			corrupt(t, f, sinkName)
			want := map[string][]string{
				"orders":      {"changed:7", "extra:999999", "missing:100", "missing:200"},
				"order_items": {"changed:11,1"},
				"products":    nil,
			}
			reg := prometheus.NewRegistry()
			got := run(t, f, sinkName, tables, nil, verify.NewMetrics(reg))
			for _, r := range got {
				if d := diffStrings(r.Diffs); strings.Join(d, " ") != strings.Join(want[r.Table.Name], " ") {
					t.Errorf("%s: differing keys %v, want %v", r.Table, d, want[r.Table.Name])
				}
			}
			label := f.srcDB + ".orders"
			if v := gaugeValue(t, reg, "ferry_verify_mismatched_rows", label, sinkName); v != 4 {
				t.Errorf("ferry_verify_mismatched_rows{table=%q} = %v, want 4", label, v)
			}
			if v := gaugeValue(t, reg, "ferry_verify_rows_checked_total", label, sinkName); v != 2000-0 {
				t.Errorf("ferry_verify_rows_checked_total{table=%q} = %v, want 2000", label, v)
			}
			repaired := run(t, f, sinkName, tables, f.repairer(t, f.sinkOf(sinkName)), nil)
			for _, r := range repaired {
				if !r.OK() || r.Repaired != len(want[r.Table.Name]) {
					t.Errorf("after repair %s: ok=%v repaired=%d diffs=%v", r.Table, r.OK(), r.Repaired, diffStrings(r.Diffs))
				}
			}
			for _, r := range run(t, f, sinkName, tables, nil, nil) {
				if !r.OK() || r.SourceRows != r.CopyRows {
					t.Errorf("second run after repair %s: ok=%v rows %d/%d diffs=%v", r.Table, r.OK(), r.SourceRows, r.CopyRows, diffStrings(r.Diffs))
				}
			}
		})
	}
}

// run verifies tables against one copy.
func run(t *testing.T, f *fixture, sinkName string, tables []verify.TableRef, rep verify.Repairer, m *verify.Metrics) []*verify.TableResult {
	t.Helper()
	v, err := verify.New(quickConfig(), f.src, f.copyOf(sinkName), rep, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []*verify.TableResult
	for _, tb := range tables {
		r, err := v.Table(context.Background(), tb)
		if err != nil {
			t.Fatalf("verify %s: %v", tb, err)
		}
		out = append(out, r)
	}
	var buf bytes.Buffer
	verify.WriteSummary(&buf, out)
	t.Logf("%s:\n%s", sinkName, buf.String())
	return out
}

// corrupt damages a copy behind the replayer's back.
func corrupt(t *testing.T, f *fixture, sinkName string) {
	t.Helper()
	ctx := context.Background()
	var stmts []string
	if sinkName == "mysql" {
		db := "`" + f.copies.MySQLCopy + "`"
		stmts = []string{
			"UPDATE " + db + ".orders SET pay_amount = pay_amount + 1 WHERE id = 7",
			"DELETE FROM " + db + ".orders WHERE id = 100",
			"UPDATE " + db + ".orders SET _deleted = 1 WHERE id = 200",
			"INSERT INTO " + db + ".orders (id, order_no, user_id, status, total_amount, pay_amount, item_count, address, expire_at, created_at, _version, _deleted) " +
				"SELECT 999999, 'X', user_id, status, total_amount, pay_amount, item_count, address, expire_at, created_at, 1, 0 FROM " + db + ".orders WHERE id = 1",
			"UPDATE " + db + ".order_items SET product_name = 'tampered' WHERE order_id = 11 AND line_no = 1",
		}
		for _, q := range stmts {
			if _, err := f.copies.MySQL.ExecContext(ctx, q); err != nil {
				t.Fatalf("corrupt: %s: %v", q, err)
			}
		}
		return
	}
	// ClickHouse: re-insert rows with the same version (the later insert wins under FINAL) or
	// delete physically via a drop of nothing - a new part with a tombstone, and an extra row.
	db := "`" + f.copies.CHCopy + "`"
	cols := "id, order_no, request_id, user_id, status, total_amount, discount_amount, pay_amount, coupon_id, item_count, address, remark, source, expire_at, paid_at, closed_at, created_at, updated_at"
	stmts = []string{
		fmt.Sprintf("INSERT INTO %s.orders (%s, _version, _deleted) SELECT id, order_no, request_id, user_id, status, total_amount, discount_amount, pay_amount + 1, coupon_id, item_count, address, remark, source, expire_at, paid_at, closed_at, created_at, updated_at, _version, _deleted FROM %s.orders FINAL WHERE id = 7", db, cols, db),
		fmt.Sprintf("INSERT INTO %s.orders (%s, _version, _deleted) SELECT %s, _version, 1 FROM %s.orders FINAL WHERE id IN (100, 200)", db, cols, cols, db),
		fmt.Sprintf("INSERT INTO %s.orders (%s, _version, _deleted) SELECT 999999, order_no, request_id, user_id, status, total_amount, discount_amount, pay_amount, coupon_id, item_count, address, remark, source, expire_at, paid_at, closed_at, created_at, updated_at, 1, 0 FROM %s.orders FINAL WHERE id = 1", db, cols, db),
		fmt.Sprintf("INSERT INTO %s.order_items SELECT order_id, line_no, product_id, sku, 'tampered', unit_price, quantity, amount, created_at, _version, _deleted FROM %s.order_items FINAL WHERE order_id = 11 AND line_no = 1", db, db),
	}
	for _, q := range stmts {
		if _, err := f.copies.CH.ExecContext(ctx, q); err != nil {
			t.Fatalf("corrupt: %s: %v", q, err)
		}
	}
}
