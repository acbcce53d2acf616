package obstest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/ferry-cdc/ferry/internal/testenv"
)

// stoppedReplayerWalkthrough follows docs/operating.md's walk-through "a replayer stopped applying
// changes" on the live pipeline, checking that each step shows what the document says it shows:
// a poison message halts the MySQL replayer, which exits with status 3 after logging the message
// id, topic, queue and offset; /healthz stops answering; the FerryReplayerDown expression returns
// its instance; a restart with --poison dead-letter moves the message aside and applies rows again.
func stoppedReplayerWalkthrough(ctx context.Context, t *testing.T, st *testenv.Stack, prom Prom, pl *pipeline, run string) {
	old := pl.target(t, "ferry-replayer-mysql")
	msgID := publishPoison(ctx, t, st, pl.changes)

	// Step 1: is it alive? It exits with status 3 once the retries (default 5, 15.5 s) are spent.
	exited, err := old.proc.Wait(2 * time.Minute)
	var exitErr *exec.ExitError
	if !exited || !errors.As(err, &exitErr) || exitErr.ExitCode() != 3 {
		t.Fatalf("replayer did not exit with status 3 after the poison message: exited=%v err=%v\n%s", exited, err, old.proc.Log(3000))
	}
	if _, err := http.Get("http://" + old.addr + "/healthz"); err == nil {
		t.Error("/healthz still answers after the replayer exited")
	}
	// Step 2: is it halted? The log names the message.
	logTail := old.proc.Log(1 << 20)
	halt := regexp.MustCompile(`replayer halted.*message topic=` + regexp.QuoteMeta(pl.changes) + ` queue=\d+ offset=\d+ msgId=` + regexp.QuoteMeta(msgID))
	if line := halt.FindString(logTail); line == "" {
		t.Errorf("the replayer log does not name the poison message %s as the walk-through says:\n%s", msgID, tail(logTail, 3000))
	} else {
		t.Logf("halt logged as: ...%s", line)
	}
	// The alert expression FerryReplayerDown (without its `for`) now returns the instance.
	down := alertExpr(t, "FerryReplayerDown")
	waitSeries(ctx, t, prom, down, old.addr, 30*time.Second)

	// Fix: restart with the dead-letter policy; it resumes from the committed offsets.
	dlq := st.NewTopic(t, 1)
	restarted := pl.start(t, "ferry-replayer-mysql", "./cmd/replayer",
		append(pl.runArgs["mysql"], "--poison", "dead-letter", "--dead-letter-topic", dlq)...)
	st.AddScrapeTarget(t, restarted.addr, map[string]string{"job": restarted.job, "ferry_run": run})
	waitMetric(ctx, t, restarted.addr, "ferry_replayer_dead_lettered_total", func(v float64) bool { return v >= 1 }, time.Minute)
	before := metricValue(t, restarted.addr, "ferry_replayer_rows_applied_total")
	waitMetric(ctx, t, restarted.addr, "ferry_replayer_rows_applied_total", func(v float64) bool { return v > before }, time.Minute)
	waitMetric(ctx, t, restarted.addr, "ferry_replayer_halted", func(v float64) bool { return v == 0 }, time.Second)
	if resp, err := http.Get("http://" + restarted.addr + "/readyz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz of the restarted replayer: %v %v", resp, err)
	}
}

// publishPoison sends a message that is not a Ferry change event and returns its message id.
func publishPoison(ctx context.Context, t *testing.T, st *testenv.Stack, topic string) string {
	t.Helper()
	p := st.StartProducer(t)
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	res, err := p.SendSync(sctx, primitive.NewMessage(topic, []byte(`{"this is":"not a Ferry change event"}`)))
	if err != nil || res.Status != primitive.SendOK {
		t.Fatalf("publish the poison message: %v %v", res, err)
	}
	return res.MsgID
}

// alertExpr returns the expression of the named alert in dashboards/alerts.yml.
func alertExpr(t *testing.T, name string) string {
	t.Helper()
	for _, q := range alertQueries(t) {
		if q.Where == "alerts.yml: "+name {
			return q.Expr
		}
	}
	t.Fatalf("no alert %s in dashboards/alerts.yml", name)
	return ""
}

// waitSeries waits until expr returns a series whose instance is instance.
func waitSeries(ctx context.Context, t *testing.T, prom Prom, expr, instance string, timeout time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(time.Second) {
		samples, err := prom.Query(ctx, expr)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		for _, s := range samples {
			if s.Labels["instance"] == instance {
				return
			}
		}
	}
	t.Errorf("%s returned no series for %s within %s", expr, instance, timeout)
}

// metricValue scrapes addr and sums every sample of the metric name (0 when absent).
func metricValue(t *testing.T, addr, name string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("scrape %s: %v", addr, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	sum := 0.0
	for _, line := range strings.Split(string(b), "\n") {
		if line == name || strings.HasPrefix(line, name+" ") || strings.HasPrefix(line, name+"{") {
			var v float64
			if _, err := fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v); err == nil {
				sum += v
			}
		}
	}
	return sum
}

// waitMetric waits until the summed metric on addr satisfies ok.
func waitMetric(ctx context.Context, t *testing.T, addr, name string, ok func(float64) bool, timeout time.Duration) {
	t.Helper()
	var v float64
	for deadline := time.Now().Add(timeout); ctx.Err() == nil; time.Sleep(500 * time.Millisecond) {
		if v = metricValue(t, addr, name); ok(v) {
			return
		}
		if time.Now().After(deadline) {
			break
		}
	}
	t.Errorf("%s on %s is %v, not what the walk-through expects, after %s", name, addr, v, timeout)
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
