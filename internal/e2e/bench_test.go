package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ferry-cdc/ferry/internal/pipelinetest"
	"github.com/ferry-cdc/ferry/internal/proctest"
	"github.com/ferry-cdc/ferry/internal/testenv"
)

const (
	appliedPoll    = 50 * time.Millisecond // replayer /metrics poll while catching up
	catchUpLimit   = 30 * time.Minute
	countSettleFor = time.Minute // a copy may show its last rows a little after the metric
)

// catchUpRows is the number of order rows BenchmarkEndToEndCatchUp writes: FERRY_BENCH_E2E_ROWS,
// default 1,000,000 (the issue-14 target size; use 100000 for a quick run).
func catchUpRows() int {
	if n, err := strconv.Atoi(os.Getenv("FERRY_BENCH_E2E_ROWS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// catchUpQueues is the topic's queue count in the catch-up benchmarks: FERRY_BENCH_E2E_QUEUES,
// default 8 (the tailer's default). A replayer owns them all, so more queues show how its pull
// cache and RSS scale with the queues it owns.
func catchUpQueues() int {
	if n, err := strconv.Atoi(os.Getenv("FERRY_BENCH_E2E_QUEUES")); err == nil && n > 0 {
		return n
	}
	return 8
}

// BenchmarkEndToEndCatchUp measures how fast the pipeline (binlog -> tailer -> RocketMQ ->
// replayer -> copy) catches up on a backlog of catchUpRows() order rows, into the ClickHouse copy
// alone, the MySQL copy alone, and both at once (sub-benchmarks).
//
// Nothing that is not the pipeline is timed: the binaries are built first; an untimed 300k-row
// catch-up warms the broker's JIT (warmUp); the replayers are started (and have taken their
// queue locks) before the rows are written; the rows are written
// (10,000-row INSERT ... SELECT transactions) before the tailer starts at the binlog position in
// front of them. A copy's rate is (rows - rows applied at the first poll that saw any) / (time of
// the poll that saw all rows - time of the first poll that saw any), read from the replayer's
// ferry_replayer_rows_applied_total every 50 ms, so the process start-ups and the first batch's
// linger are outside it; <sink>_wall_s is the time from the tailer's start instead. The copy is
// counted only once, at the end (a count with FINAL every poll would cost ClickHouse CPU).
//
// Baselines, measured in the same run on the same rows after the pipeline run (<sink>_raw_rows/s,
// ratio = <sink>_rows/s / <sink>_raw_rows/s): ClickHouse, columnar native inserts of 100,000-row
// blocks of pre-typed slices into an empty table AS the copy's orders (ReplacingMergeTree, same
// columns); MySQL, multi-row INSERTs of 2,000 rows into an empty table LIKE the copy's orders.
// Only the inserts are timed, and each baseline is the fastest of rawPasses loads. Also reported: the CPU seconds of the tailer, each replayer and each
// server over the run (from the tailer's start to the last copy's last row), the replayer's CPU
// µs per applied row, and the peak RSS of the tailer and each replayer. FERRY_BENCH_PROFILE=<dir>
// also saves each replayer's CPU and heap profiles (profileReplayers).
func BenchmarkEndToEndCatchUp(b *testing.B) {
	st, n := prepareCatchUp(b)
	for _, sinks := range [][]string{{"clickhouse"}, {"mysql"}, {"mysql", "clickhouse"}} {
		b.Run(strings.Join(sinks, "+"), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				catchUp(b, st, sinks, n)
			}
		})
	}
}

// prepareCatchUp builds the tailer and the replayer, warms the broker up (warmUp) and returns
// the stack and the catch-up size, catchUpRows().
func prepareCatchUp(b *testing.B) (*testenv.Stack, int) {
	st := testenv.Get(b)
	proctest.Build(b, "./cmd/binlog-tailer")
	proctest.Build(b, "./cmd/replayer")
	n := catchUpRows()
	warmUp(b, st, min(n, warmUpRows))
	return st, n
}

// warmUpRows is the size of the untimed catch-up BenchmarkEndToEndCatchUp runs first.
const warmUpRows = 300_000

// warmUp runs one untimed catch-up of n rows into ClickHouse and stops its processes. The
// broker is a JVM: on a freshly started stack its JIT compiles the hot paths during the first
// few hundred thousand messages, and a cold broker spent 6.9-8.6 CPU-s on a 1M-row catch-up
// that the next ones did in 3.2-5.7 (2026-12-07, the same binaries). A production broker runs warm; the
// benchmark measures the pipeline, not the broker's start-up.
func warmUp(b *testing.B, st *testenv.Stack, n int) {
	sinks := []string{"clickhouse"}
	p, from := loadedPipeline(b, st, sinks, n)
	tailer := p.StartTailer(b, "--start-file", from.file, "--start-pos", fmt.Sprint(from.pos))
	waitApplied(context.Background(), b, p, sinks, n)
	for _, proc := range []*proctest.Proc{tailer, p.Replayer("clickhouse")} {
		if err := proc.Stop(30 * time.Second); err != nil {
			b.Fatalf("stop warm-up %s: %v", proc.Name, err)
		}
	}
}

// loadedPipeline starts a fresh pipeline's replayers of sinks and writes n order rows to its
// source; it returns the pipeline, whose tailer is not started, and the binlog position in
// front of the rows.
func loadedPipeline(b *testing.B, st *testenv.Stack, sinks []string, n int) (*pipelinetest.Pipeline, binlogPos) {
	p := pipelinetest.New(b, st, pipelinetest.Options{Queues: catchUpQueues()})
	for _, s := range sinks {
		p.StartReplayer(b, s)
	}
	src := st.OpenSource(b, p.SourceDB)
	from := head(b, src)
	loadOrders(b, src, n)
	return p, from
}

// catchUp runs one catch-up of n rows into sinks on a fresh pipeline and reports its metrics.
func catchUp(b *testing.B, st *testenv.Stack, sinks []string, n int) {
	ctx := context.Background()
	p, from := loadedPipeline(b, st, sinks, n)
	b.ResetTimer()
	cpu0 := procStats(st, p, sinks) // no tailer yet: its CPU counts from its start
	started := time.Now()
	p.StartTailer(b, "--start-file", from.file, "--start-pos", fmt.Sprint(from.pos))
	profiled := profileReplayers(b, p, sinks)
	spans := waitApplied(ctx, b, p, sinks, n)
	<-profiled
	cpu1 := procStats(st, p, sinks)
	b.StopTimer()
	copies := openCopies(b, st, p)
	for _, s := range sinks {
		waitCount(b, copies[s], s, n)
	}
	reportCPUDelta(b, cpu0, cpu1)
	reportRSS(b, p, sinks)
	reportMessages(ctx, b, p)
	for _, s := range sinks {
		sp := spans[s]
		rate := sp.rate(n)
		var raw float64
		if s == "clickhouse" {
			raw = rawClickHouse(ctx, b, st, p, n)
		} else {
			raw = rawMySQL(b, st, p, n)
		}
		b.Logf("%s: first rows at +%s (%.0f applied), all %d at +%s; %.0f rows/s; raw %.0f rows/s", s,
			sp.first.Sub(started).Round(time.Millisecond), sp.firstRows, n, sp.last.Sub(started).Round(time.Millisecond), rate, raw)
		b.ReportMetric(rate, s+"_rows/s")
		b.ReportMetric(raw, s+"_raw_rows/s")
		b.ReportMetric(rate/raw, s+"_ratio")
		b.ReportMetric(sp.last.Sub(started).Seconds(), s+"_wall_s")
		b.ReportMetric((cpu1[s+"_replayer_cpu_s"]-cpu0[s+"_replayer_cpu_s"])*1e6/float64(n), s+"_replayer_cpu_us/row")
	}
}

// reportMessages reports the tailer's mean rows per message and message bytes per row, read
// from its counters (they cover the scratch-database marker too, a few rows).
func reportMessages(ctx context.Context, b *testing.B, p *pipelinetest.Pipeline) {
	m, err := scrape(ctx, p.MetricsAddr(p.Tailer()))
	if err != nil {
		b.Fatalf("tailer metrics: %v", err)
	}
	rows, msgs, bytes := m["ferry_tailer_rows_total"], m["ferry_tailer_messages_published_total"], m["ferry_tailer_published_bytes_total"]
	if rows == 0 || msgs == 0 {
		b.Fatalf("tailer metrics show %.0f rows in %.0f messages", rows, msgs)
	}
	b.ReportMetric(rows/msgs, "tailer_rows/msg")
	b.ReportMetric(bytes/rows, "tailer_bytes/row")
}

// profileReplayers saves a 10 s CPU profile of each replayer from the tailer's start as
// $FERRY_BENCH_PROFILE/replayer-<sink>.pprof, then its heap profile (replayer-<sink>-heap.pprof),
// and one of the tailer (tailer.pprof), when that variable is set; the returned channel is
// closed when every profile is saved.
func profileReplayers(b *testing.B, p *pipelinetest.Pipeline, sinks []string) <-chan struct{} {
	done := make(chan struct{})
	dir := os.Getenv("FERRY_BENCH_PROFILE")
	if dir == "" {
		close(done)
		return done
	}
	var wg sync.WaitGroup
	for _, s := range sinks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			addr := p.MetricsAddr(p.Replayer(s))
			saveProfile(b, addr, filepath.Join(dir, "replayer-"+s+".pprof"))
			saveDebug(b, addr, "heap", filepath.Join(dir, "replayer-"+s+"-heap.pprof"))
		}()
	}
	wg.Go(func() { saveProfile(b, p.MetricsAddr(p.Tailer()), filepath.Join(dir, "tailer.pprof")) })
	go func() { wg.Wait(); close(done) }()
	return done
}

// applySpan is what the polls of one replayer's applied-rows counter saw: the first poll with any
// row applied (and how many), and the first poll with every row applied.
type applySpan struct {
	first, last time.Time
	firstRows   float64
}

// rate is the apply rate between the first and the last poll, not counting the rows the first
// poll already saw.
func (sp applySpan) rate(n int) float64 {
	d := max(sp.last.Sub(sp.first), appliedPoll)
	return (float64(n) - sp.firstRows) / d.Seconds()
}

// waitApplied polls every replayer's ferry_replayer_rows_applied_total for the orders table until
// each has applied n rows, failing the benchmark after catchUpLimit or when a replayer exits.
func waitApplied(ctx context.Context, b *testing.B, p *pipelinetest.Pipeline, sinks []string, n int) map[string]applySpan {
	label := fmt.Sprintf("table=%q", p.SourceDB+".orders")
	spans := map[string]applySpan{}
	done := map[string]bool{}
	deadline := time.Now().Add(catchUpLimit)
	for len(done) < len(sinks) {
		if time.Now().After(deadline) {
			b.Fatalf("copies did not apply %d rows within %s (done: %v)\nlogs:\n%s", n, catchUpLimit, done, p.Logs())
		}
		time.Sleep(appliedPoll)
		for _, s := range sinks {
			if done[s] {
				continue
			}
			proc := p.Replayer(s)
			at := time.Now()
			m, err := scrape(ctx, p.MetricsAddr(proc), label)
			if err != nil {
				if !proc.Running() {
					b.Fatalf("replayer %s exited:\n%s", s, proc.Log(4000))
				}
				continue
			}
			got, sp := m["ferry_replayer_rows_applied_total"], spans[s]
			if got > 0 && sp.first.IsZero() {
				sp.first, sp.firstRows = at, got
			}
			if got >= float64(n) {
				sp.last, done[s] = at, true
			}
			spans[s] = sp
		}
	}
	return spans
}

// loadOrders inserts n orders in 10,000-row transactions with MariaDB's sequence engine.
func loadOrders(b *testing.B, db *sql.DB, n int) {
	for lo := 1; lo <= n; lo += 10_000 {
		q := fmt.Sprintf(`INSERT INTO orders (id, order_no, user_id, status, total_amount, pay_amount, item_count,
			address, expire_at, created_at) SELECT seq, LPAD(seq, 24, '0'), seq %% 5000, 'paid', seq / 100, seq / 100, 1,
			'{"city":"Hangzhou"}', '2026-11-23 20:00:00.000', '2026-11-23 19:00:00.123' FROM seq_%d_to_%d`, lo, min(lo+9_999, n))
		if _, err := db.Exec(q); err != nil {
			b.Fatalf("load orders: %v", err)
		}
	}
}

type binlogPos struct {
	file string
	pos  uint32
}

func head(b *testing.B, db *sql.DB) binlogPos {
	var p binlogPos
	var doDB, ignoreDB string
	if err := db.QueryRow("SHOW MASTER STATUS").Scan(&p.file, &p.pos, &doDB, &ignoreDB); err != nil {
		b.Fatalf("SHOW MASTER STATUS: %v", err)
	}
	return p
}

// boundaryHead commits one row in a scratch database that the benchmark's tailer does not
// include and returns the head after it. The tailer checkpoints at transaction boundaries, and a
// load that ends just before a binlog rotation leaves the head at the new file's header, which is
// no boundary: a wait for the checkpoint to reach such a head never ends.
func boundaryHead(b *testing.B, st *testenv.Stack) binlogPos {
	scratch := st.OpenSource(b, st.NewSourceDatabase(b))
	for _, q := range []string{"CREATE TABLE IF NOT EXISTS marker (id INT PRIMARY KEY)", "REPLACE INTO marker VALUES (1)"} {
		if _, err := scratch.Exec(q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	return head(b, scratch)
}

// openCopies opens each sink's copy database once.
func openCopies(b *testing.B, st *testenv.Stack, p *pipelinetest.Pipeline) map[string]*sql.DB {
	ch := clickhouse.OpenDB(st.ClickHouseOptions(p.CopyDB["clickhouse"]))
	b.Cleanup(func() { ch.Close() })
	return map[string]*sql.DB{"mysql": st.OpenCopy(b, p.CopyDB["mysql"]), "clickhouse": ch}
}

// copyRows counts the live orders in a sink's copy (0 while the table is not visible yet).
func copyRows(db *sql.DB, sink string) int {
	q := "SELECT COUNT(*) FROM orders WHERE _deleted = 0"
	if sink == "clickhouse" {
		q = "SELECT toInt64(count()) FROM orders FINAL WHERE _deleted = 0"
	}
	var n int64
	if err := db.QueryRow(q).Scan(&n); err != nil {
		return 0
	}
	return int(n)
}

// waitCount checks, after the timed part, that the copy holds all n live orders, counting once a
// second for at most countSettleFor.
func waitCount(b *testing.B, db *sql.DB, sink string, n int) {
	deadline := time.Now().Add(countSettleFor)
	for {
		got := copyRows(db, sink)
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("the %s copy holds %d live orders, want %d", sink, got, n)
		}
		time.Sleep(time.Second)
	}
}
