package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/pipelinetest"
	"github.com/ferry-cdc/ferry/internal/proctest"
	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/checkpoint"
	"github.com/ferry-cdc/ferry/pkg/event"
)

// BenchmarkTailerCatchUpCPU measures the CPU the binlog-tailer and the broker spend per row while
// the tailer catches up on catchUpRows() order rows (the rows of BenchmarkEndToEndCatchUp) into a
// fresh 8-queue topic, with no replayer running: from the tailer's start until its checkpoint
// passes the last row (every message acknowledged). CPU per row is the figure of merit on a shared
// machine (wall-clock rates move with the other jobs' load; CPU per row much less).
//
// The rows are written once; each iteration runs a new tailer process from the same binlog range
// into a new topic. Reported per iteration: tailer_cpu_us/row, broker_cpu_us/row, tailer_rows/s
// (wall clock), rows/msg and body bytes/row (from the tailer's metrics), tailer_rss_MB (peak).
// FERRY_BENCH_TAILER_ARGS adds tailer flags (space-separated), for experiments.
// FERRY_BENCH_PROFILE=<dir> also saves a CPU profile of the tailer (the catch-up's first 10 s,
// from its /debug/pprof/profile) as <dir>/tailer-<i>.pprof, and its log as <dir>/tailer-<i>.log. There is no raw baseline: compare
// tailer_cpu_us/row with pkg/canal BenchmarkCatchUp's raw decode (about 2.3 µs/row here).
func BenchmarkTailerCatchUpCPU(b *testing.B) {
	st := testenv.Get(b)
	bin := proctest.Build(b, "./cmd/binlog-tailer")
	n := catchUpRows()
	dbName := st.NewSourceDatabase(b)
	src := st.OpenSource(b, dbName)
	testenv.LoadOrderSchema(b, src)
	from := head(b, src)
	loadOrders(b, src, n)
	to := boundaryHead(b, st)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tailerCPURun(b, st, bin, dbName, from, to, n, i)
	}
}

// tailerCPURun runs one tailer over [from, to) into a new topic and reports its figures.
func tailerCPURun(b *testing.B, st *testenv.Stack, bin, dbName string, from, to binlogPos, n, iter int) {
	topic := st.NewTopic(b, catchUpQueues())
	dir, addr := b.TempDir(), proctest.FreeAddr(b)
	cpu0 := st.CPUSeconds()["broker"]
	started := time.Now()
	proc := proctest.Start(b, "tailer", bin, append([]string{"run", "--source-addr", st.SourceAddr, "--user", st.ReplUser,
		"--password", st.ReplPassword, "--server-id", fmt.Sprint(30000 + iter + int(started.UnixNano()%1e6)),
		"--include", dbName + ".*", "--name-server", st.NameServer, "--topic", topic,
		"--producer-group", "cpu_" + topic, "--data-dir", dir, "--heartbeat", "1s", "--read-timeout", "10s",
		"--start-file", from.file, "--start-pos", fmt.Sprint(from.pos), "--metrics-addr", addr},
		append(pipelinetest.LocalStageArgs(), strings.Fields(os.Getenv("FERRY_BENCH_TAILER_ARGS"))...)...))
	profiled := make(chan struct{})
	if d := os.Getenv("FERRY_BENCH_PROFILE"); d != "" {
		go func() {
			defer close(profiled)
			saveProfile(b, addr, filepath.Join(d, fmt.Sprintf("tailer-%d.pprof", iter)))
		}()
	} else {
		close(profiled)
	}
	waitTailerCheckpoint(b, proc, dir, to)
	wall := time.Since(started)
	cpu, _ := testenv.ProcessCPUSeconds(proc.Pid())
	broker := st.CPUSeconds()["broker"] - cpu0
	m, err := scrape(context.Background(), addr)
	if err != nil {
		b.Fatal(err)
	}
	rss := rssMB(b, proc.Pid())
	<-profiled // the tailer idles meanwhile
	proc.Kill()
	if d := os.Getenv("FERRY_BENCH_PROFILE"); d != "" {
		if log, err := os.ReadFile(proc.LogPath); err == nil {
			_ = os.WriteFile(filepath.Join(d, fmt.Sprintf("tailer-%d.log", iter)), log, 0o644)
		}
	}
	rows := float64(n)
	b.ReportMetric(cpu*1e6/rows, "tailer_cpu_us/row")
	b.ReportMetric(broker*1e6/rows, "broker_cpu_us/row")
	b.ReportMetric(rows/wall.Seconds(), "tailer_rows/s")
	if msgs := m["ferry_tailer_messages_published_total"]; msgs > 0 {
		b.ReportMetric(rows/msgs, "rows/msg")
		b.ReportMetric(m["ferry_tailer_published_bytes_total"]/rows, "bytes/row")
	}
	if a := m["go_memstats_alloc_bytes_total"]; a > 0 { // steadier than CPU on a shared machine
		b.ReportMetric(a/rows, "alloc_bytes/row")
	}
	b.ReportMetric(rss, "tailer_rss_MB")
	b.Logf("run %d: %d rows in %s; tailer %.2f CPU-s, broker %.2f CPU-s", iter, n, wall.Round(time.Millisecond), cpu, broker)
}

// waitTailerCheckpoint waits until the checkpoint in dir reaches to.
func waitTailerCheckpoint(b *testing.B, proc *proctest.Proc, dir string, to binlogPos) {
	toIdx, _ := event.FileIndex(to.file)
	deadline := time.Now().Add(catchUpLimit)
	for time.Now().Before(deadline) {
		if st, err := checkpoint.Load(dir); err == nil && st != nil {
			if idx, err := event.FileIndex(st.File); err == nil && (idx > toIdx || (idx == toIdx && st.Pos >= uint64(to.pos))) {
				return
			}
		}
		if !proc.Running() {
			b.Fatalf("tailer exited:\n%s", proc.Log(4000))
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.Fatalf("tailer checkpoint did not reach %s:%d within %s", to.file, to.pos, catchUpLimit)
}

// saveProfile saves a 10 s CPU profile of the process serving /debug/pprof at addr.
func saveProfile(b *testing.B, addr, path string) {
	saveDebug(b, addr, "profile?seconds="+strconv.Itoa(10), path)
}

// saveDebug saves /debug/pprof/<what> of the process serving it at addr (retrying while its
// server starts).
func saveDebug(b *testing.B, addr, what, path string) {
	var resp *http.Response
	var err error
	for range 100 {
		if resp, err = http.Get("http://" + addr + "/debug/pprof/" + what); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		b.Logf("profile: %v", err)
		return
	}
	defer resp.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		b.Logf("profile: %v", err)
		return
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		b.Logf("profile: %v", err)
	}
}
