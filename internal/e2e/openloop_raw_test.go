package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/pipelinetest"
	"github.com/ferry-cdc/ferry/internal/testenv"
)

// sourceAloneOpenLoop is BenchmarkLagOpenLoop's raw baseline: the same open-loop writer, at the
// same rate, for the same time, against a source database seeded the same way, with no tailer
// and no replayer running (the source still writes its binlog, as in production). What it
// reports is what the source and the writer alone make of the load on this machine: the
// transactions/s they reach, their start-to-COMMIT latency, and the CPU the source and this
// process (the writer) spend. The pipeline's run that follows is judged against it: a copy's lag
// cannot be below the source's own commit latency, and whatever CPU the source needs here is not
// available to the pipeline there. The figures are returned, not reported: b.ResetTimer, which
// the pipeline's run calls after this, deletes every metric reported before it.
func sourceAloneOpenLoop(ctx context.Context, b *testing.B, st *testenv.Stack, cfg olConfig) map[string]float64 {
	p := pipelinetest.New(b, st, pipelinetest.Options{Queues: lagQueues})
	p.Seed(b, lagProducts)
	w := newTxWriter(b, st, p, cfg)
	cpu0 := st.CPUSeconds()
	ws := w.run(ctx, cfg.duration)
	cpu1 := st.CPUSeconds()
	rate := float64(ws.committed) / cfg.duration.Seconds()
	tx := w.probes.txTimes()
	figures := map[string]float64{
		"source_alone_tx/s":         rate,
		"source_alone_tx_p50_ms":    percentileMS(tx, 0.5),
		"source_alone_tx_p99_ms":    percentileMS(tx, 0.99),
		"source_alone_cpu_s":        cpu1["source"] - cpu0["source"],
		"source_alone_writer_cpu_s": cpu1["ferry"] - cpu0["ferry"],
	}
	b.Logf("source alone: %d scheduled, %d committed (%.0f tx/s), %d late, %d missed, %d failed (first: %s); tx p50 %.1f ms, p99 %.1f ms",
		ws.scheduled, ws.committed, rate, ws.late, ws.missed, ws.failed, ws.firstErr,
		percentileMS(tx, 0.5), percentileMS(tx, 0.99))
	time.Sleep(2 * time.Second) // let the source settle (purge, flush) before the pipeline's run
	return figures
}
