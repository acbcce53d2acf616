package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/pipelinetest"
	"github.com/ferry-cdc/ferry/internal/testenv"
)

// Unit tests of the benchmark harness (no stack needed).

func TestParseSample(t *testing.T) {
	tests := []struct {
		line   string
		labels []string
		name   string
		value  float64
		ok     bool
	}{
		{`ferry_tailer_messages_published_total 42`, nil, "ferry_tailer_messages_published_total", 42, true},
		{`ferry_replayer_rows_applied_total{op="insert",sink="mysql",table="d.orders"} 1e+06`, []string{`table="d.orders"`},
			"ferry_replayer_rows_applied_total", 1e6, true},
		{`ferry_replayer_rows_applied_total{op="insert",sink="mysql",table="d.items"} 7`, []string{`table="d.orders"`}, "", 0, false},
		{`# HELP ferry_x help text 1`, nil, "", 0, false},
		{`ferry_x NaNx`, nil, "", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			name, v, ok := parseSample(tc.line, tc.labels)
			if name != tc.name || v != tc.value || ok != tc.ok {
				t.Fatalf("parseSample = %q, %v, %v; want %q, %v, %v", name, v, ok, tc.name, tc.value, tc.ok)
			}
		})
	}
}

func TestTailerRowsPerMessage(t *testing.T) {
	tests := []struct {
		name          string
		before, after map[string]float64
		want          float64
		ok            bool
	}{
		{"counters", map[string]float64{"ferry_tailer_rows_total": 10, "ferry_tailer_messages_published_total": 5},
			map[string]float64{"ferry_tailer_rows_total": 110, "ferry_tailer_messages_published_total": 25}, 5, true},
		{"histogram only", map[string]float64{},
			map[string]float64{"ferry_tailer_batch_rows_sum": 30, "ferry_tailer_batch_rows_count": 10}, 3, true},
		{"no messages", map[string]float64{"ferry_tailer_rows_total": 1, "ferry_tailer_messages_published_total": 1},
			map[string]float64{"ferry_tailer_rows_total": 1, "ferry_tailer_messages_published_total": 1}, 0, false},
		{"missing", nil, map[string]float64{}, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tailerRowsPerMessage(tc.before, tc.after)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("got %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestTxWriterShapes(t *testing.T) {
	w := &txWriter{probeEvery: 4, products: []uint64{3, 1, 2, 5, 4}, rnd: rand.New(rand.NewPCG(1, 2))}
	o := w.newOrder()
	if len(o.lines) == 0 || len(o.lines) > 3 {
		t.Fatalf("order has %d lines, want 1-3", len(o.lines))
	}
	for i := 1; i < len(o.lines); i++ {
		if o.lines[i-1].product >= o.lines[i].product {
			t.Fatalf("lines not in strict product order: %+v", o.lines)
		}
	}
	n := len(o.lines)
	wantTables := map[string][]string{
		"create": {"orders", "order_items"},
		"pay":    append(append([]string{"orders"}, repeat("products", n)...), "payments", "order_outbox"),
		"cancel": {"orders"},
		"refund": append([]string{"orders", "refunds"}, repeat("products", n)...),
	}
	for op, want := range wantTables {
		stmts := w.statements(op, o)
		if len(stmts) != len(want) {
			t.Fatalf("%s: %d statements, want %d: %v", op, len(stmts), len(want), stmts)
		}
		for i, s := range stmts {
			if f := strings.Fields(s); len(f) < 3 || (f[1] != want[i] && f[2] != want[i]) {
				t.Errorf("%s statement %d writes %q, want table %s", op, i, s, want[i])
			}
		}
	}
	for seq, want := range map[int64]int{0: 1, 1: 0, 4: 2, 9: 0, 12: 4} {
		if got := w.probeID(seq); got != want {
			t.Errorf("probeID(%d) = %d, want %d", seq, got, want)
		}
	}
}

// TestTxWriterExecIsAtomic checks the writer's transactions against the source: one whose
// second statement fails leaves nothing of its first behind, and the connection it ran on (the
// pool's only one) serves the next transaction without carrying the failed one into it. A BEGIN
// on a connection with an open transaction commits that transaction, so a batch whose failure
// left it open would show its first row here.
func TestTxWriterExecIsAtomic(t *testing.T) {
	st := testenv.Get(t)
	db := st.NewSourceDatabase(t)
	admin := st.OpenSource(t, db)
	for _, tc := range []struct {
		name         string
		perStatement bool
	}{{"one_round_trip", false}, {"round_trip_per_statement", true}} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := admin.Exec("CREATE TABLE " + tc.name + " (id INT PRIMARY KEY)"); err != nil {
				t.Fatal(err)
			}
			src := st.OpenSourceWith(t, db, writerDSNParams)
			src.SetMaxOpenConns(1)
			w := &txWriter{db: src, perStatement: tc.perStatement}
			ins := func(id int) string { return fmt.Sprintf("INSERT INTO %s VALUES (%d)", tc.name, id) }
			ctx := context.Background()
			if err := w.exec(ctx, []string{ins(1), ins(1)}); err == nil {
				t.Fatal("a transaction whose second INSERT repeats the key succeeded, want a duplicate-key error")
			}
			if err := w.exec(ctx, []string{ins(2), ins(3)}); err != nil {
				t.Fatalf("the next transaction: %v", err)
			}
			var ids string
			if err := admin.QueryRow("SELECT COALESCE(GROUP_CONCAT(id ORDER BY id), '') FROM " + tc.name).Scan(&ids); err != nil {
				t.Fatal(err)
			}
			if ids != "2,3" {
				t.Fatalf("table holds ids %q, want \"2,3\" (the failed transaction's row 1 must not be committed)", ids)
			}
		})
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestProbeLogLowWaterSkipsFailedProbes(t *testing.T) {
	pl := newProbeLog(4, []string{"mysql"})
	t0 := time.Unix(100, 0)
	pl.commit(1, t0, t0.Add(time.Millisecond))
	pl.fail(2)
	pl.commit(3, t0, t0.Add(2*time.Millisecond))
	pl.commit(4, t0, t0.Add(3*time.Millisecond))
	pl.saw("mysql", []int{3}, t0.Add(time.Second))
	if lo := pl.lowWater("mysql"); lo != 0 {
		t.Fatalf("low water %d before probe 1 was seen, want 0", lo)
	}
	pl.saw("mysql", []int{1, 3}, t0.Add(2*time.Second))
	if lo := pl.lowWater("mysql"); lo != 3 {
		t.Fatalf("low water %d, want 3 (1 seen, 2 failed, 3 seen)", lo)
	}
	if ok, _ := pl.done(); ok {
		t.Fatal("done before probe 4 was seen")
	}
	pl.saw("mysql", []int{4}, t0)
	if ok, _ := pl.done(); !ok {
		t.Fatal("not done after every committed probe was seen")
	}
	lags := pl.lags("mysql")
	if len(lags) != 3 || lags[0].lag != 2*time.Second-time.Millisecond || lags[1].lag != time.Second-2*time.Millisecond || lags[2].lag != 0 {
		t.Fatalf("lags %+v: want first-poll minus commit per probe, clamped at 0", lags)
	}
}

// startPipeline starts a 2-queue pipeline with the tailer (extra flags tailerArgs) and both
// replayers running.
func startPipeline(t *testing.T, st *testenv.Stack, tailerArgs ...string) *pipelinetest.Pipeline {
	t.Helper()
	p := pipelinetest.New(t, st, pipelinetest.Options{Queues: 2})
	p.StartTailer(t, tailerArgs...)
	for _, s := range pipelinetest.Sinks {
		p.StartReplayer(t, s)
	}
	return p
}

// execConverged runs stmts at the source, waits until both copies verify equal and checks that
// both replayers still run.
func execConverged(ctx context.Context, t *testing.T, p *pipelinetest.Pipeline, src *sql.DB, stmts []string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := src.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	p.WaitConverged(ctx, t, 3*time.Minute)
	for _, sink := range pipelinetest.Sinks {
		if !p.Replayer(sink).Running() {
			t.Fatalf("replayer %s exited:\n%s", sink, p.Replayer(sink).Log(3000))
		}
	}
}
