package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/pipelinetest"
	"github.com/ferry-cdc/ferry/internal/testenv"
)

// BenchmarkReplayerBacklog measures a ClickHouse replayer draining a topic that already holds
// catchUpRows() order rows, as after a replayer outage: the tailer publishes every row before the
// replayer starts, so the broker serves pulls as fast as the replayer takes them and the pull
// caches fill to their bound (in BenchmarkEndToEndCatchUp the tailer runs alongside and the
// caches fill only as fast as it publishes). Reported: clickhouse_rows/s (first to last applied
// row, as in BenchmarkEndToEndCatchUp) and its ratio to the same columnar raw insert, the
// replayer's CPU µs per row and its peak RSS, the figure the "replayer RSS < 150 MB under any
// backlog" target is about. FERRY_BENCH_E2E_QUEUES sets the topic's queues and
// FERRY_BENCH_CLICKHOUSE_ARGS adds replayer flags (e.g. --cache-mb 16384, which leaves only the
// per-queue bound, the behaviour before --cache-mb).
func BenchmarkReplayerBacklog(b *testing.B) {
	st, n := prepareCatchUp(b)
	for i := 0; i < b.N; i++ {
		drainBacklog(b, st, n)
	}
}

// drainBacklog publishes n rows to a fresh pipeline's topic, then starts its ClickHouse
// replayer and reports how it drains them.
func drainBacklog(b *testing.B, st *testenv.Stack, n int) {
	ctx, sinks := context.Background(), []string{"clickhouse"}
	p := pipelinetest.New(b, st, pipelinetest.Options{Queues: catchUpQueues()})
	src := st.OpenSource(b, p.SourceDB)
	from := head(b, src)
	loadOrders(b, src, n)
	p.StartTailer(b, "--start-file", from.file, "--start-pos", fmt.Sprint(from.pos))
	waitPublished(ctx, b, p, n)
	b.ResetTimer()
	cpu0 := procStats(st, p, nil) // the replayer's CPU counts from its start
	p.StartReplayer(b, "clickhouse")
	sp := waitApplied(ctx, b, p, sinks, n)["clickhouse"]
	cpu1 := procStats(st, p, sinks)
	b.StopTimer()
	waitCount(b, openCopies(b, st, p)["clickhouse"], "clickhouse", n)
	reportCPUDelta(b, cpu0, cpu1)
	b.ReportMetric(rssMB(b, p.Replayer("clickhouse").Pid()), "clickhouse_replayer_rss_MB")
	rate, raw := sp.rate(n), rawClickHouse(ctx, b, st, p, n)
	b.Logf("clickhouse: drained %d rows at %.0f rows/s; raw %.0f rows/s", n, rate, raw)
	b.ReportMetric(rate, "clickhouse_rows/s")
	b.ReportMetric(raw, "clickhouse_raw_rows/s")
	b.ReportMetric(rate/raw, "clickhouse_ratio")
	b.ReportMetric(cpu1["clickhouse_replayer_cpu_s"]*1e6/float64(n), "clickhouse_replayer_cpu_us/row")
}

// waitPublished waits until the tailer has read n rows and its published-message count has not
// moved for a second (every message acknowledged by the broker).
func waitPublished(ctx context.Context, b *testing.B, p *pipelinetest.Pipeline, n int) {
	deadline, last, still := time.Now().Add(catchUpLimit), -1.0, time.Now()
	for ; time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		m, err := scrape(ctx, p.MetricsAddr(p.Tailer()))
		if err != nil {
			continue
		}
		if sent := m["ferry_tailer_messages_published_total"]; sent != last {
			last, still = sent, time.Now()
		}
		if m["ferry_tailer_rows_total"] >= float64(n) && time.Since(still) > time.Second {
			return
		}
	}
	b.Fatalf("the tailer did not publish %d rows within %s\nlogs:\n%s", n, catchUpLimit, p.Logs())
}
