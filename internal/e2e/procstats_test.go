package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/pipelinetest"
	"github.com/ferry-cdc/ferry/internal/proctest"
	"github.com/ferry-cdc/ferry/internal/testenv"
)

// scrape reads the Prometheus text exposition at http://addr/metrics and returns, per metric
// name, the sum of every sample of that name whose label set contains each of labels (for
// example `table="db.orders"`). Histograms appear as their _sum and _count series.
func scrape(ctx context.Context, addr string, labels ...string) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", addr, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", addr, err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		name, value, ok := parseSample(sc.Text(), labels)
		if ok {
			out[name] += value
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("scrape %s: %w", addr, err)
	}
	return out, nil
}

// parseSample parses one exposition line "name{labels} value" (comments and samples lacking one
// of labels are skipped).
func parseSample(line string, labels []string) (string, float64, bool) {
	if line == "" || line[0] == '#' {
		return "", 0, false
	}
	sp := strings.LastIndexByte(line, ' ')
	if sp < 0 {
		return "", 0, false
	}
	v, err := strconv.ParseFloat(line[sp+1:], 64)
	if err != nil {
		return "", 0, false
	}
	series := line[:sp]
	name, _, _ := strings.Cut(series, "{")
	for _, l := range labels {
		if !strings.Contains(series, l) {
			return "", 0, false
		}
	}
	return name, v, true
}

// procStats snapshots the CPU seconds of the pipeline's Ferry processes (tailer_cpu_s,
// <sink>_replayer_cpu_s) and of the stack's servers (<server>_cpu_s).
func procStats(st *testenv.Stack, p *pipelinetest.Pipeline, sinks []string) map[string]float64 {
	out := map[string]float64{}
	for name, sec := range st.CPUSeconds() {
		if name != "ferry" { // this test process: the writer or the pollers, not the pipeline
			out[name+"_cpu_s"] = sec
		}
	}
	procs := map[string]*proctest.Proc{"tailer_cpu_s": p.Tailer()}
	for _, s := range sinks {
		procs[s+"_replayer_cpu_s"] = p.Replayer(s)
	}
	for key, proc := range procs {
		if proc == nil {
			continue
		}
		if sec, ok := testenv.ProcessCPUSeconds(proc.Pid()); ok {
			out[key] = sec
		}
	}
	return out
}

// reportCPUDelta reports every CPU counter of after minus before (a process missing from before
// started in between: all its CPU counts).
func reportCPUDelta(b *testing.B, before, after map[string]float64) {
	for k, a := range after {
		b.ReportMetric(a-before[k], k)
	}
}

// rssMB reads a running process's peak resident set size (VmHWM) in MB.
func rssMB(b *testing.B, pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatalf("read RSS of pid %d: %v", pid, err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	b.Fatalf("no VmHWM for pid %d", pid)
	return 0
}

// reportRSS reports the peak resident set size of the tailer and of each running replayer.
func reportRSS(b *testing.B, p *pipelinetest.Pipeline, sinks []string) {
	b.ReportMetric(rssMB(b, p.Tailer().Pid()), "tailer_rss_MB")
	for _, s := range sinks {
		b.ReportMetric(rssMB(b, p.Replayer(s).Pid()), s+"_replayer_rss_MB")
	}
}

// tailerRowsPerMessage returns the rows/message the tailer published between two scrapes of
// its metrics: ferry_tailer_rows_total over ferry_tailer_messages_published_total, or the
// ferry_tailer_batch_rows histogram when the counters are missing; false when neither exists.
func tailerRowsPerMessage(before, after map[string]float64) (float64, bool) {
	pairs := [][2]string{
		{"ferry_tailer_rows_total", "ferry_tailer_messages_published_total"},
		{"ferry_tailer_batch_rows_sum", "ferry_tailer_batch_rows_count"},
	}
	for _, pr := range pairs {
		rows, ok1 := after[pr[0]]
		msgs, ok2 := after[pr[1]]
		if ok1 && ok2 && msgs > before[pr[1]] {
			return (rows - before[pr[0]]) / (msgs - before[pr[1]]), true
		}
	}
	return 0, false
}
