package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/pipelinetest"
	"github.com/ferry-cdc/ferry/internal/testenv"
)

const (
	olProbesPerSecond = 50.0 // probe rows written per second (every rate/50-th transaction)
	olDrainLimit      = 4 * time.Minute
)

// olConfig sizes BenchmarkLagOpenLoop from the environment.
type olConfig struct {
	rate     float64       // FERRY_BENCH_LAG_RATE: transactions/s, default 2000
	duration time.Duration // FERRY_BENCH_LAG_DURATION: default 60s
	workers  int           // FERRY_BENCH_LAG_WORKERS: source connections, default 128
	csv      string        // FERRY_BENCH_LAG_CSV: where to write the lag samples ("" = nowhere)
	// perStatement (FERRY_BENCH_LAG_ROUNDTRIPS=statement) sends BEGIN, each statement and COMMIT
	// as separate round trips, as an ORM would; by default (=transaction) a transaction is one
	// multi-statement round trip. The binlog is the same either way.
	perStatement bool
}

func olConfigFromEnv() olConfig {
	c := olConfig{rate: 2000, duration: 60 * time.Second, workers: 128, csv: os.Getenv("FERRY_BENCH_LAG_CSV")}
	if v, err := strconv.ParseFloat(os.Getenv("FERRY_BENCH_LAG_RATE"), 64); err == nil && v > 0 {
		c.rate = v
	}
	if v, err := time.ParseDuration(os.Getenv("FERRY_BENCH_LAG_DURATION")); err == nil && v > 0 {
		c.duration = v
	}
	if v, err := strconv.Atoi(os.Getenv("FERRY_BENCH_LAG_WORKERS")); err == nil && v > 0 {
		c.workers = v
	}
	c.perStatement = os.Getenv("FERRY_BENCH_LAG_ROUNDTRIPS") == "statement"
	return c
}

// BenchmarkLagOpenLoop measures the end-to-end lag of both copies, from COMMIT at the source to
// visible in the copy, while an open-loop writer replays the order flow's transaction shapes
// (see txWriter) with plain SQL at a fixed rate: FERRY_BENCH_LAG_RATE transactions/s (default
// 2,000, the order system's peak) for FERRY_BENCH_LAG_DURATION (default 60 s), on
// FERRY_BENCH_LAG_WORKERS source connections (default 128), each transaction one multi-statement
// round trip (FERRY_BENCH_LAG_ROUNDTRIPS=statement: one per statement, BEGIN and COMMIT, as an
// ORM sends them; at 2,000 tx/s that cost the source 1.3x and the writer 1.6x the CPU-seconds in
// one measurement). Transactions are scheduled by the
// clock: a start more than 50 ms behind schedule counts as late, and a start that finds every
// worker busy and the queue full is skipped and counted as missed (not postponed).
//
// Every rate/50-th transaction also inserts a probe row (id k) into ferry_lag_probe, and the
// writer records when its COMMIT returned. One poller per copy reads the probe ids above its low
// water every 25 ms on its own connection (a tiny table; no FINAL), and a probe's lag is the start
// of the first poll that saw it minus its COMMIT's return: commit-accurate, not the binlog's
// whole-second timestamp, and per probe (a lagging queue is not hidden behind a faster one).
//
// Metrics: <sink>_lag_p50_ms, _p99_ms, _max_ms over every probe of the run; tx/s achieved
// (committed / duration) and achieved/target_ratio; late_starts, missed_starts and failed_tx;
// source_tx_p50_ms (the probe transactions' own start-to-COMMIT time: the floor under any lag);
// rows/msg, the tailer's mean rows per published message over the run (when it exports the
// counters); CPU seconds of each process and server; peak RSS of the tailer and each replayer.
// With FERRY_BENCH_LAG_CSV set, the samples are written there as "sink,t_s,lag_ms" for
// `ferry-bench lag-chart`. The run ends with verify: both copies must equal the source.
//
// The raw baseline, measured first in the same run (sourceAloneOpenLoop): the same writer at the
// same rate with no pipeline running, as source_alone_tx/s, _tx_p50_ms, _tx_p99_ms, _cpu_s and
// _writer_cpu_s.
func BenchmarkLagOpenLoop(b *testing.B) {
	st := testenv.Get(b)
	cfg := olConfigFromEnv()
	for i := 0; i < b.N; i++ {
		lagOpenLoop(b, st, cfg)
	}
}

// lagOpenLoop runs one open-loop lag measurement on a fresh pipeline and reports it.
func lagOpenLoop(b *testing.B, st *testenv.Stack, cfg olConfig) {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.duration+20*time.Minute)
	defer cancel()
	b.StopTimer()
	alone := sourceAloneOpenLoop(ctx, b, st, cfg)
	p := startLagPipeline(b, st)
	w := newTxWriter(b, st, p, cfg)
	startPollers(ctx, b, st, p, w.probes)
	tail0, _ := scrape(ctx, p.MetricsAddr(p.Tailer()))
	cpu0 := procStats(st, p, pipelinetest.Sinks)
	b.ResetTimer()
	for unit, v := range alone {
		b.ReportMetric(v, unit)
	}
	b.StartTimer()
	ws := w.run(ctx, cfg.duration)
	drained := waitProbes(ctx, b, p, w.probes, ws.end)
	b.StopTimer()
	cpu1 := procStats(st, p, pipelinetest.Sinks)
	tail1, _ := scrape(ctx, p.MetricsAddr(p.Tailer()))
	b.Logf("writer: %d scheduled, %d committed, %d failed (first: %s), %d late, %d missed; copies drained %s after the last start",
		ws.scheduled, ws.committed, ws.failed, ws.firstErr, ws.late, ws.missed, drained.Round(time.Millisecond))
	reportOpenLoop(b, cfg, ws, w.probes)
	if rpm, ok := tailerRowsPerMessage(tail0, tail1); ok {
		b.ReportMetric(rpm, "rows/msg")
	} else {
		b.Logf("the tailer exports no rows-per-message counters: rows/msg not reported")
	}
	reportCPUDelta(b, cpu0, cpu1)
	reportRSS(b, p, pipelinetest.Sinks)
	writeLagCSV(b, cfg.csv, w.probes, ws.start)
	waited := p.WaitConverged(ctx, b, 5*time.Minute)
	b.Logf("copies verified equal to the source %s after the drain", waited.Round(time.Millisecond))
}

// newTxWriter creates the probe table (with row 0, so the copies create theirs at once), waits
// until both copies hold it and returns a writer over the seeded products.
func newTxWriter(b *testing.B, st *testenv.Stack, p *pipelinetest.Pipeline, cfg olConfig) *txWriter {
	src := st.OpenSourceWith(b, p.SourceDB, writerDSNParams)
	src.SetMaxOpenConns(cfg.workers)
	src.SetMaxIdleConns(cfg.workers)
	for _, q := range []string{
		"CREATE TABLE " + olProbeTable + " (id BIGINT PRIMARY KEY, written_at_us BIGINT NOT NULL)",
		fmt.Sprintf("INSERT INTO %s VALUES (0, %d)", olProbeTable, time.Now().UnixMicro()),
	} {
		if _, err := src.Exec(q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	every := max(int64(cfg.rate/olProbesPerSecond), 1)
	total := int64(cfg.rate * cfg.duration.Seconds())
	return &txWriter{db: src, rate: cfg.rate, workers: cfg.workers, perStatement: cfg.perStatement, probeEvery: every, products: productIDs(b, src),
		probes: newProbeLog(int((total+every-1)/every), pipelinetest.Sinks), rnd: rand.New(rand.NewPCG(42, 14))}
}

// productIDs lists the seeded products.
func productIDs(b *testing.B, src *sql.DB) []uint64 {
	rows, err := src.Query("SELECT id FROM products ORDER BY id")
	if err != nil {
		b.Fatalf("list products: %v", err)
	}
	defer rows.Close()
	var ids []uint64
	for rows.Next() {
		var id uint64
		if err := rows.Scan(&id); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		b.Fatal("no products seeded")
	}
	return ids
}

// startPollers waits until each copy shows probe row 0 and starts its poller on a dedicated
// connection; the pollers stop at cleanup.
func startPollers(ctx context.Context, b *testing.B, st *testenv.Stack, p *pipelinetest.Pipeline, pl *probeLog) {
	copies := openCopies(b, st, p)
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, len(pipelinetest.Sinks))
	b.Cleanup(func() {
		cancel()
		for range pipelinetest.Sinks {
			<-done
		}
	})
	for _, s := range pipelinetest.Sinks {
		conn := waitProbeTable(ctx, b, p, copies[s], s)
		go func() {
			defer func() { conn.Close(); done <- struct{}{} }()
			pl.poll(pctx, conn, s)
		}()
	}
}

// waitProbeTable waits up to 2 minutes until sink's copy holds probe row 0 and returns a
// dedicated connection to it.
func waitProbeTable(ctx context.Context, b *testing.B, p *pipelinetest.Pipeline, db *sql.DB, sink string) *sql.Conn {
	conn, err := db.Conn(ctx)
	if err != nil {
		b.Fatalf("connect %s poller: %v", sink, err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var n int64
		err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+olProbeTable).Scan(&n)
		if err == nil && n > 0 {
			return conn
		}
		if time.Now().After(deadline) {
			b.Fatalf("the %s copy has no %s after 2 minutes (last error %v)\nlogs:\n%s", sink, olProbeTable, err, p.Logs())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitProbes waits until every copy has seen every committed probe and returns how long after
// the writer's last scheduled start that was.
func waitProbes(ctx context.Context, b *testing.B, p *pipelinetest.Pipeline, pl *probeLog, end time.Time) time.Duration {
	deadline := time.Now().Add(olDrainLimit)
	for {
		ok, err := pl.done()
		if err != nil {
			b.Fatalf("%v\nlogs:\n%s", err, p.Logs())
		}
		if ok {
			return time.Since(end)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			b.Fatalf("the copies did not show every probe within %s of the writer's end\nlogs:\n%s", olDrainLimit, p.Logs())
		}
		time.Sleep(olPollEvery)
	}
}

// reportOpenLoop reports the lag percentiles per copy and what the writer achieved.
func reportOpenLoop(b *testing.B, cfg olConfig, ws writerStats, pl *probeLog) {
	for _, s := range pipelinetest.Sinks {
		samples := pl.lags(s)
		lags := make([]time.Duration, len(samples))
		for i, sm := range samples {
			lags[i] = sm.lag
		}
		b.ReportMetric(percentileMS(lags, 0.5), s+"_lag_p50_ms")
		b.ReportMetric(percentileMS(lags, 0.99), s+"_lag_p99_ms")
		b.ReportMetric(percentileMS(lags, 1), s+"_lag_max_ms")
		b.Logf("%s: %d probes, lag p50 per 10 s: %s", s, len(samples), lagSlices(samples, ws.start, 10*time.Second))
	}
	rate := float64(ws.committed) / cfg.duration.Seconds()
	b.ReportMetric(rate, "tx/s")
	b.ReportMetric(rate/cfg.rate, "achieved/target_ratio")
	b.ReportMetric(float64(ws.late), "late_starts")
	b.ReportMetric(float64(ws.missed), "missed_starts")
	b.ReportMetric(float64(ws.failed), "failed_tx")
	b.ReportMetric(percentileMS(pl.txTimes(), 0.5), "source_tx_p50_ms")
	b.ReportMetric(percentileMS(pl.txTimes(), 0.99), "source_tx_p99_ms")
}

// lagSlices lists the lag p50 (ms) of the probes committed in each slice of width w after start.
func lagSlices(samples []lagSample, start time.Time, w time.Duration) string {
	var parts []string
	var cur []time.Duration
	edge := start.Add(w)
	for _, sm := range samples {
		for !sm.at.Before(edge) {
			parts = append(parts, fmt.Sprintf("%.0f", percentileMS(cur, 0.5)))
			cur, edge = nil, edge.Add(w)
		}
		cur = append(cur, sm.lag)
	}
	parts = append(parts, fmt.Sprintf("%.0f", percentileMS(cur, 0.5)))
	return strings.Join(parts, " ")
}

// writeLagCSV writes every lag sample as "sink,t_s,lag_ms" (t_s: commit time after start) to
// path, for the lag-over-time chart; nothing when path is empty.
func writeLagCSV(b *testing.B, path string, pl *probeLog, start time.Time) {
	if path == "" {
		return
	}
	var sb strings.Builder
	sb.WriteString("sink,t_s,lag_ms\n")
	for _, s := range pipelinetest.Sinks {
		for _, sm := range pl.lags(s) {
			fmt.Fprintf(&sb, "%s,%.3f,%.1f\n", s, sm.at.Sub(start).Seconds(), float64(sm.lag.Microseconds())/1000)
		}
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		b.Fatalf("write lag samples: %v", err)
	}
}
