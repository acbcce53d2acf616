package canal

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ferry-cdc/ferry/internal/proctest"
	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/checkpoint"
	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/publish"
	"github.com/ferry-cdc/ferry/pkg/publish/publishtest"
)

// benchRows is BenchmarkCatchUp's row count; FERRY_BENCH_ROWS overrides it for short runs.
var benchRows = envInt("FERRY_BENCH_ROWS", 1_000_000)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// benchBinlog writes benchRows rows (order-like, 6 columns) in 10k-row transactions and returns
// the binlog range holding them.
func benchBinlog(b *testing.B, st *testenv.Stack) (cfg Config, from, to Head) {
	dbName := st.NewSourceDatabase(b)
	src := st.OpenSource(b, dbName)
	mustExec(b, src, `CREATE TABLE orders (id BIGINT UNSIGNED PRIMARY KEY, customer_id BIGINT, status ENUM('new','paid','shipped'),
		total DECIMAL(12,2), note VARCHAR(64), created_at DATETIME(3))`)
	cfg = benchConfig(st, dbName)
	from = benchHead(b, &cfg)
	for lo := 1; lo <= benchRows; lo += 10_000 {
		mustExec(b, src, fmt.Sprintf(`INSERT INTO orders SELECT seq, seq %% 977, 1 + seq %% 3, seq / 100, CONCAT('note ', seq),
			'2026-01-02 03:04:05.678' FROM seq_%d_to_%d`, lo, lo+9_999))
	}
	return cfg, from, benchHead(b, &cfg)
}

// benchConfig is a tailer config for the stack and the tables of database dbName.
func benchConfig(st *testenv.Stack, dbName string) Config {
	cfg := DefaultConfig()
	cfg.SourceAddr, cfg.User, cfg.Password, cfg.NameServer = st.SourceAddr, st.ReplUser, st.ReplPassword, st.NameServer
	cfg.Include = []string{dbName + ".*"}
	return cfg
}

// benchHead returns the source's binlog head.
func benchHead(b *testing.B, cfg *Config) Head {
	h, err := SourceHead(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	return h
}

// rawDecode reads the range with a bare BinlogSyncer (the tailer's decode options, without its
// own temporal decoding: go-mysql as it comes) and returns rows/s: the floor every tailer shares.
func rawDecode(b *testing.B, cfg Config, from, to Head, want int) float64 {
	t := &Tailer{cfg: cfg, log: publishtest.Logger(b)}
	sc, err := t.syncerConfig()
	if err != nil {
		b.Fatal(err)
	}
	sc.ServerID = uint32(100000 + rand.IntN(1<<30))
	sc.RowsEventDecodeFunc = nil
	syncer := replication.NewBinlogSyncer(sc)
	defer syncer.Close()
	start := time.Now()
	s, err := syncer.StartSync(mysql.Position{Name: from.File, Pos: uint32(from.Pos)})
	if err != nil {
		b.Fatal(err)
	}
	rows, file := 0, from.File
	toIdx, _ := event.FileIndex(to.File)
	db := strings.TrimSuffix(cfg.Include[0], ".*")
	for {
		e, err := s.GetEvent(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		switch ev := e.Event.(type) {
		case *replication.RowsEvent:
			if string(ev.Table.Schema) == db {
				rows += len(ev.Rows)
			}
		case *replication.RotateEvent:
			// A rotate event's header position belongs to the file it ends, not the next one.
			file = string(ev.NextLogName)
			continue
		}
		idx, _ := event.FileIndex(file)
		if idx > toIdx || (idx == toIdx && e.Header.LogPos >= uint32(to.Pos)) {
			break
		}
	}
	if rows < want {
		b.Fatalf("raw decode saw %d rows, want %d", rows, want)
	}
	return float64(rows) / time.Since(start).Seconds()
}

// catchUp is one tailerCatchUp run: rows/s, mean duration of a send call, rows per message and
// messages per send call (from the tailer's metrics).
type catchUp struct{ rate, sendMs, rowsPerMsg, msgsPerSend float64 }

// tailerCatchUp runs Run from `from` into a fresh topic and returns rows/s until the checkpoint
// (every message acknowledged by the broker) reaches `to`.
func tailerCatchUp(b *testing.B, st *testenv.Stack, cfg Config, from, to Head, rows int) (c catchUp) {
	cfg.Topic = st.NewTopic(b, 8)
	cfg.DataDir = b.TempDir()
	cfg.ServerID = uint32(100000 + rand.IntN(1<<30))
	cfg.StartFile, cfg.StartPos = from.File, from.Pos
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan time.Time, 1)
	done := make(chan error, 1)
	reg := prometheus.NewRegistry()
	go func() {
		done <- Run(ctx, cfg, publishtest.Logger(b), reg, func() { started <- time.Now() })
	}()
	var t0 time.Time
	select {
	case t0 = <-started:
	case err := <-done:
		b.Fatal(err)
	}
	waitCheckpoint(b, cfg.DataDir, to, 300*time.Second)
	c.rate = float64(rows) / time.Since(t0).Seconds()
	cancel()
	<-done
	mfs, _ := reg.Gather()
	var sends, msgs float64
	for _, mf := range mfs {
		switch mf.GetName() {
		case "ferry_tailer_publish_duration_seconds":
			h := mf.GetMetric()[0].GetHistogram()
			sends = float64(max(h.GetSampleCount(), 1))
			c.sendMs = 1000 * h.GetSampleSum() / sends
		case "ferry_tailer_batch_rows":
			h := mf.GetMetric()[0].GetHistogram()
			c.rowsPerMsg = h.GetSampleSum() / float64(max(h.GetSampleCount(), 1))
		case "ferry_tailer_messages_published_total":
			msgs = mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	c.msgsPerSend = msgs / max(sends, 1)
	return c
}

func waitCheckpoint(b *testing.B, dir string, to Head, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for {
		cp, _ := checkpoint.Load(dir)
		if cp != nil && reached(cp, to) {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("checkpoint %+v did not reach %s:%d within %v", cp, to.File, to.Pos, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// reached reports whether checkpoint cp is at or past head h (later files count as past).
func reached(cp *checkpoint.State, h Head) bool {
	ci, err1 := event.FileIndex(cp.File)
	hi, err2 := event.FileIndex(h.File)
	return err1 == nil && err2 == nil && (ci > hi || (ci == hi && cp.Pos >= h.Pos))
}

// tailerNoBroker runs the tailer (decode, format, batch, encode) into publishtest.NopSender.
func tailerNoBroker(b *testing.B, cfg Config, from, to Head, rows int) float64 {
	cfg.DataDir = b.TempDir()
	cfg.ServerID = uint32(100000 + rand.IntN(1<<30))
	m := NewMetrics(nil)
	pub, err := publish.New(cfg.PublishConfig(8), publishtest.NopSender{}, publishtest.Logger(b), m.Metrics)
	if err != nil {
		b.Fatal(err)
	}
	start := checkpoint.State{File: from.File, Pos: from.Pos}
	tl, err := NewTailer(cfg, publishtest.Logger(b), m, pub, start)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	t0 := time.Now()
	go func() { done <- tl.runWithCheckpoints(ctx, cfg.DataDir, start, nil) }()
	waitCheckpoint(b, cfg.DataDir, to, 300*time.Second)
	rate := float64(rows) / time.Since(t0).Seconds()
	cancel()
	<-done
	return rate
}

// binaryPeakRSS runs the real binary over the range and returns its peak RSS (VmHWM) in MB.
func binaryPeakRSS(b *testing.B, st *testenv.Stack, cfg Config, from, to Head) float64 {
	bin := proctest.Build(b, "./cmd/binlog-tailer")
	dir := b.TempDir()
	args := []string{"run", "--source-addr", st.SourceAddr, "--user", st.ReplUser, "--name-server", st.NameServer,
		"--topic", st.NewTopic(b, 8), "--data-dir", dir, "--include", cfg.Include[0],
		"--server-id", strconv.Itoa(100000 + rand.IntN(1<<30)), "--metrics-addr", "127.0.0.1:0",
		"--start-file", from.File, "--start-pos", strconv.FormatUint(from.Pos, 10), "--log-level", "warn"}
	p := proctest.Start(b, "tailer-rss", bin, args, "FERRY_TAILER_PASSWORD="+st.ReplPassword)
	waitCheckpoint(b, dir, to, 300*time.Second)
	pidText, err := os.ReadFile(filepath.Join(dir, checkpoint.LockName))
	if err != nil {
		b.Fatal(err)
	}
	kb := statusKB(b, strings.TrimSpace(string(pidText)), "VmHWM")
	p.Stop(20 * time.Second)
	return kb / 1024
}

func statusKB(b *testing.B, pid, field string) float64 {
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), field+":") {
			v, _ := strconv.ParseFloat(strings.Fields(sc.Text())[1], 64)
			return v
		}
	}
	b.Fatalf("%s not in /proc/%s/status", field, pid)
	return 0
}

// BenchmarkCatchUp measures the tailer's catch-up rate into the broker (rows/s until every message
// of a 1M-row binlog range is acknowledged and checkpointed) against a bare go-mysql decode of
// the same range in the same run, plus the binary's peak RSS. Targets: ratio >= 0.5, RSS < 100 MB.
func BenchmarkCatchUp(b *testing.B) {
	st := testenv.Get(b)
	cfg, from, to := benchBinlog(b, st)
	benchRuns(b, st, cfg, from, to, benchRows)
	b.StopTimer()
	b.ReportMetric(binaryPeakRSS(b, st, cfg, from, to), "rss_MB")
}

// benchRuns runs b.N rounds of raw decode, tailer into a no-op sender and tailer into the broker
// over one binlog range, reports the rates, ratios and send figures, and returns the mean
// catch-up figures.
func benchRuns(b *testing.B, st *testenv.Stack, cfg Config, from, to Head, rows int) (mean catchUp) {
	var raw, nop float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		raw += rawDecode(b, cfg, from, to, rows)
		nop += tailerNoBroker(b, cfg, from, to, rows)
		c := tailerCatchUp(b, st, cfg, from, to, rows)
		mean.rate += c.rate
		mean.sendMs += c.sendMs
		mean.rowsPerMsg += c.rowsPerMsg
		mean.msgsPerSend += c.msgsPerSend
	}
	n := float64(b.N)
	mean = catchUp{mean.rate / n, mean.sendMs / n, mean.rowsPerMsg / n, mean.msgsPerSend / n}
	b.ReportMetric(raw/n, "raw_rows/s")
	b.ReportMetric(mean.rate, "tailer_rows/s")
	b.ReportMetric(mean.rate*n/raw, "ratio")
	b.ReportMetric(nop/n, "nobroker_rows/s")
	b.ReportMetric(nop/raw, "nobroker_ratio")
	b.ReportMetric(mean.sendMs, "send_ms/send")
	b.ReportMetric(mean.msgsPerSend, "msgs/send")
	return mean
}

// BenchmarkOrderFlow measures the tailer on an order-flow binlog (FERRY_BENCH_TX transactions,
// default 20,000, of 10 row changes over four tables, inserts, updates and deletes mixed; see
// orderFlowLoad) with benchRuns' figures plus rows per published message.
func BenchmarkOrderFlow(b *testing.B) {
	st := testenv.Get(b)
	dbName := st.NewSourceDatabase(b)
	src := st.OpenSource(b, dbName)
	mustExec(b, src, orderFlowDDL...)
	cfg := benchConfig(st, dbName)
	from := benchHead(b, &cfg)
	txs := envInt("FERRY_BENCH_TX", 20_000)
	mustExec(b, src, orderFlowLoad(1, txs))
	mean := benchRuns(b, st, cfg, from, benchHead(b, &cfg), orderFlowRows(txs))
	b.ReportMetric(mean.rowsPerMsg, "rows/msg")
}
