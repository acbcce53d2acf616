// Package pipelinetest runs the whole Ferry pipeline - order-flow workload, binlog-tailer, RocketMQ,
// and one replayer per copy (MySQL and ClickHouse) - as real subprocesses against a real stack, for
// end-to-end and fault-injection tests. Every Pipeline works in its own source database, topic,
// consumer groups and copy databases, so pipelines in parallel test packages never interfere.
package pipelinetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/proctest"
	"github.com/ferry-cdc/ferry/internal/testenv"
)

// Sinks are the copies a Pipeline feeds.
var Sinks = []string{"mysql", "clickhouse"}

const (
	tailerPkg   = "./cmd/binlog-tailer"
	replayerPkg = "./cmd/replayer"
	orderPkg    = "./cmd/orderflow"
	startWait   = 2 * time.Minute
)

// LocalStageArgs are the flags the local stack runs its Go stages (the tailer and the replayers)
// with, here and in scripts/demo: every server and stage shares the machine's few cores, where a
// Go process's threads beyond one mostly spin, wake each other and mark garbage on idle time
// that another stage needs (cli.SetProcs; docs/stack.md).
func LocalStageArgs() []string { return []string{"--max-procs", "1"} }

// Options shape a Pipeline.
type Options struct {
	Queues int // queues of the change topic (default 4)
}

// Pipeline is one running pipeline. Its exported fields name its databases and topic.
type Pipeline struct {
	St        *testenv.Stack
	SourceDB  string            // source database, loaded with schemas/order-db.sql
	Topic     string            // change topic
	CopyDB    map[string]string // sink -> copy database (MySQL: tables with _version/_deleted)
	ViewDB    map[string]string // sink -> database of tombstone-hiding views
	TailerDir string            // tailer checkpoint directory

	mu        sync.Mutex
	serverID  int
	tailer    *proctest.Proc
	replayers map[string]*proctest.Proc
	groups    map[string]string
	procs     []*proctest.Proc          // every process ever started, for logs
	metrics   map[*proctest.Proc]string // long-running process -> its --metrics-addr
}

// New creates the databases, the topic and the copy schemas of a fresh pipeline; nothing runs yet.
func New(t testing.TB, st *testenv.Stack, opt Options) *Pipeline {
	t.Helper()
	if opt.Queues == 0 {
		opt.Queues = 4
	}
	p := &Pipeline{St: st, SourceDB: st.NewSourceDatabase(t), Topic: st.NewTopic(t, opt.Queues),
		CopyDB: map[string]string{}, ViewDB: map[string]string{}, TailerDir: t.TempDir(),
		serverID: 20000 + rand.IntN(1<<20), replayers: map[string]*proctest.Proc{}, groups: map[string]string{},
		metrics: map[*proctest.Proc]string{}}
	testenv.LoadOrderSchema(t, st.OpenSource(t, p.SourceDB))
	p.CopyDB["mysql"], p.ViewDB["mysql"] = st.NewCopyDatabase(t), st.NewCopyDatabase(t)
	p.CopyDB["clickhouse"], p.ViewDB["clickhouse"] = st.NewClickHouseDatabase(t), st.NewClickHouseDatabase(t)
	for _, s := range Sinks {
		p.groups[s] = testenv.UniqueName("e2e_" + s)
		p.Once(t, "replayer-schema-"+s, replayerPkg, append([]string{"schema", "--source-dsn", st.SourceDSN(""),
			"--source-database", p.SourceDB}, p.sinkArgs(s)...)...)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("process logs:\n%s", p.Logs())
		}
	})
	return p
}

// SourceDSN is the order flow's DSN of the source database.
func (p *Pipeline) SourceDSN() string { return p.St.SourceDSN(p.SourceDB) + "&interpolateParams=true" }

func (p *Pipeline) sinkArgs(sink string) []string {
	args := []string{"--sink", sink, "--copy-database", p.CopyDB[sink], "--view-database", p.ViewDB[sink]}
	if sink == "mysql" {
		return append(args, "--mysql-dsn", p.St.CopyDSN(""))
	}
	return append(args, "--clickhouse-addr", p.St.ClickHouseAddr)
}

// StartTailer starts (or restarts, with the same checkpoint directory) the binlog-tailer and
// waits until it serves /healthz. FERRY_BENCH_TAILER_ARGS adds flags (space-separated) after
// extra and LocalStageArgs, for experiments (a later flag wins: --max-procs 0 gives Go's default).
func (p *Pipeline) StartTailer(t testing.TB, extra ...string) *proctest.Proc {
	t.Helper()
	args := append([]string{"run", "--source-addr", p.St.SourceAddr, "--user", p.St.ReplUser,
		"--password", p.St.ReplPassword, "--server-id", fmt.Sprint(p.serverID), "--include", p.SourceDB + ".*",
		"--name-server", p.St.NameServer, "--topic", p.Topic, "--producer-group", "e2e_tailer_" + p.SourceDB,
		"--data-dir", p.TailerDir, "--heartbeat", "1s", "--read-timeout", "10s"}, extra...)
	args = append(append(args, LocalStageArgs()...), strings.Fields(os.Getenv("FERRY_BENCH_TAILER_ARGS"))...)
	proc := p.start(t, "tailer", tailerPkg, args)
	p.mu.Lock()
	p.tailer = proc
	p.mu.Unlock()
	return proc
}

// StartReplayer starts (or restarts, in the same consumer group) the replayer of sink.
// FERRY_BENCH_MYSQL_ARGS / FERRY_BENCH_CLICKHOUSE_ARGS add flags (space-separated) to that
// sink's replayer after LocalStageArgs, for experiments.
func (p *Pipeline) StartReplayer(t testing.TB, sink string) *proctest.Proc {
	t.Helper()
	args := append([]string{"run", "--name-server", p.St.NameServer, "--broker-addr", p.St.BrokerAddr,
		"--topic", p.Topic, "--group", p.groups[sink],
		// A stable instance name, as a supervisor restarting the same worker would give: the
		// broker then hands the restarted process the orderly queue locks of its SIGKILLed
		// predecessor at once instead of after the lock expires (60 s).
		"--instance", "e2e-" + sink}, p.sinkArgs(sink)...)
	args = append(append(args, LocalStageArgs()...), strings.Fields(os.Getenv("FERRY_BENCH_"+strings.ToUpper(sink)+"_ARGS"))...)
	proc := p.start(t, "replayer-"+sink, replayerPkg, args)
	p.mu.Lock()
	p.replayers[sink] = proc
	p.mu.Unlock()
	return proc
}

// Tailer returns the current tailer process.
func (p *Pipeline) Tailer() *proctest.Proc { p.mu.Lock(); defer p.mu.Unlock(); return p.tailer }

// Replayer returns the current replayer process of sink.
func (p *Pipeline) Replayer(sink string) *proctest.Proc {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.replayers[sink]
}

// start starts a long-running process on a fresh metrics address and waits for /healthz.
func (p *Pipeline) start(t testing.TB, name, pkg string, args []string) *proctest.Proc {
	t.Helper()
	addr := proctest.FreeAddr(t)
	proc := proctest.Start(t, name, proctest.Build(t, pkg), append(args, "--metrics-addr", addr))
	p.mu.Lock()
	p.procs = append(p.procs, proc)
	p.metrics[proc] = addr
	p.mu.Unlock()
	proctest.WaitHTTP(t, proc, "http://"+addr+"/healthz", startWait)
	return proc
}

// MetricsAddr returns the host:port where a tailer or replayer this pipeline started serves
// /metrics ("" for a process it did not start).
func (p *Pipeline) MetricsAddr(proc *proctest.Proc) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.metrics[proc]
}

// Once runs a one-shot Ferry command to completion, failing the test unless it exits 0, and
// returns its output.
func (p *Pipeline) Once(t testing.TB, name, pkg string, args ...string) string {
	t.Helper()
	proc := proctest.Start(t, name, proctest.Build(t, pkg), args)
	exited, err := proc.Wait(3 * time.Minute)
	if !exited || err != nil {
		t.Fatalf("%s %s: exited=%v err=%v\n%s", pkg, strings.Join(args, " "), exited, err, proc.Log(4000))
	}
	return proc.Log(1 << 20)
}

// Seed creates the products and coupons the order-flow workload uses.
func (p *Pipeline) Seed(t testing.TB, products int) {
	t.Helper()
	p.Once(t, "orderflow-seed", orderPkg, "seed", "--dsn", p.SourceDSN(), "--metrics-addr", "",
		"--products", fmt.Sprint(products), "--stock", "1000000", "--coupons", "200")
}

// StartLoad runs the order-flow workload straight against the source database at rate
// requests/s for d, with a fixed seed so runs are reproducible.
func (p *Pipeline) StartLoad(t testing.TB, rate float64, d time.Duration, seed int64) *proctest.Proc {
	t.Helper()
	proc := proctest.Start(t, "orderflow-load", proctest.Build(t, orderPkg), []string{"load", "--dsn", p.SourceDSN(),
		"--metrics-addr", "", "--rate", fmt.Sprint(rate), "--duration", d.String(), "--seed", fmt.Sprint(seed),
		"--users", "200", "--progress", "0"})
	p.mu.Lock()
	p.procs = append(p.procs, proc)
	p.mu.Unlock()
	return proc
}

// Logs returns the tail of every process's output.
func (p *Pipeline) Logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	for _, proc := range p.procs {
		fmt.Fprintf(&b, "--- %s running=%v\n%s\n", proc.Name, proc.Running(), proc.Log(3000))
	}
	return b.String()
}

// WaitLoad waits for the workload process to finish and fails the test if it failed.
func WaitLoad(ctx context.Context, t testing.TB, load *proctest.Proc, timeout time.Duration) {
	t.Helper()
	exited, err := load.Wait(timeout)
	if !exited || err != nil {
		t.Fatalf("order-flow load: exited=%v err=%v\n%s", exited, err, load.Log(3000))
	}
}
