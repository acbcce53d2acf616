package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/pipelinetest"
	"github.com/ferry-cdc/ferry/internal/testenv"
)

// TestPipelineSurvivesSIGKILL runs the order flow through tailer, broker and both replayers and
// SIGKILLs each Ferry process once in the middle of the load; the copies must still converge to
// exactly the source's state.
func TestPipelineSurvivesSIGKILL(t *testing.T) {
	st := testenv.Get(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	p := pipelinetest.New(t, st, pipelinetest.Options{})
	p.StartTailer(t)
	for _, s := range pipelinetest.Sinks {
		p.StartReplayer(t, s)
	}
	p.Seed(t, 30)
	load := p.StartLoad(t, 150, 25*time.Second, 42)
	kills := []struct {
		at      time.Duration
		name    string
		kill    func()
		restart func()
	}{
		{5 * time.Second, "replayer-mysql", func() { p.Replayer("mysql").Kill() }, func() { p.StartReplayer(t, "mysql") }},
		{10 * time.Second, "replayer-clickhouse", func() { p.Replayer("clickhouse").Kill() }, func() { p.StartReplayer(t, "clickhouse") }},
		{15 * time.Second, "tailer", func() { p.Tailer().Kill() }, func() { p.StartTailer(t) }},
	}
	begin := time.Now()
	for _, k := range kills {
		time.Sleep(time.Until(begin.Add(k.at)))
		t.Logf("SIGKILL %s at %s", k.name, time.Since(begin).Round(time.Millisecond))
		k.kill()
		time.Sleep(500 * time.Millisecond)
		k.restart()
	}
	pipelinetest.WaitLoad(ctx, t, load, 2*time.Minute)
	waited := p.WaitConverged(ctx, t, 5*time.Minute)
	t.Logf("copies converged %s after the load ended", waited.Round(time.Millisecond))
}
