package faults

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/pipelinetest"
	"github.com/ferry-cdc/ferry/internal/proctest"
	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/mq"
)

// schedule is how long faults are injected and how far apart.
type schedule struct {
	duration time.Duration
	every    time.Duration
	rate     float64 // order-flow requests/s
}

func scheduleFromEnv(t *testing.T) schedule {
	switch os.Getenv("FERRY_FAULTS") {
	case "", "short":
		return schedule{duration: 70 * time.Second, every: 8 * time.Second, rate: 100}
	case "full":
		d := 8 * time.Minute
		if v := os.Getenv("FERRY_FAULTS_DURATION"); v != "" {
			var err error
			if d, err = time.ParseDuration(v); err != nil {
				t.Fatalf("FERRY_FAULTS_DURATION=%q: %v (use a Go duration such as 10m)", v, err)
			}
		}
		return schedule{duration: d, every: 10 * time.Second, rate: 200}
	default:
		t.Fatalf("FERRY_FAULTS=%q: use short or full", os.Getenv("FERRY_FAULTS"))
	}
	return schedule{}
}

// suite is the state the faults act on.
type suite struct {
	t      *testing.T
	ctx    context.Context
	st     *testenv.Stack
	p      *pipelinetest.Pipeline
	src    *sql.DB
	rng    *rand.Rand
	queues int
	ddl    int
	start  struct {
		file string
		pos  uint64
	}
	injected map[string]int
	sch      schedule
	load     *proctest.Proc
	loadEnd  time.Time
	loads    int
}

// fault is one kind of fault and how to inject it.
type fault struct {
	name   string
	inject func(s *suite) error
}

var allFaults = []fault{
	{"kill-tailer", (*suite).killTailer},
	{"kill-replayer", (*suite).killReplayer},
	{"kill-broker", func(s *suite) error { return s.killServer("broker") }},
	{"kill-source", func(s *suite) error { return s.killServer("source") }},
	{"queue-count", (*suite).changeQueues},
	{"ddl", (*suite).runDDL},
	{"resync-older", (*suite).resyncOlder},
}

// TestFaultInjection runs the order flow through the pipeline while injecting faults at random
// points, then requires both copies to match the source exactly.
func TestFaultInjection(t *testing.T) {
	sch := scheduleFromEnv(t)
	st := testenv.Get(t)
	if _, err := os.Stat(filepath.Join(st.Dir, "run", "broker.pid")); err != nil {
		t.Fatalf("the private stack's ports are served by processes that are not its own (%v): free ports "+
			"17307-24911 or set FERRY_FAULTS_STACK_DIR and the FERRY_*_PORT variables to a free set", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), sch.duration+20*time.Minute)
	defer cancel()
	seed := time.Now().UnixNano()
	if v := os.Getenv("FERRY_FAULTS_SEED"); v != "" {
		seed, _ = strconv.ParseInt(v, 10, 64)
	}
	t.Logf("fault schedule seed %d (rerun with FERRY_FAULTS_SEED=%d)", seed, seed)
	s := &suite{t: t, ctx: ctx, st: st, rng: rand.New(rand.NewPCG(uint64(seed), 7)), queues: 4, injected: map[string]int{},
		sch: sch}
	s.p = pipelinetest.New(t, st, pipelinetest.Options{Queues: s.queues})
	s.src = st.OpenSource(t, s.p.SourceDB)
	s.start.file, s.start.pos = s.head()
	s.p.StartTailer(t)
	for _, sink := range pipelinetest.Sinks {
		s.p.StartReplayer(t, sink)
	}
	s.p.Seed(t, 30)
	s.loadEnd = time.Now().Add(sch.duration)
	s.startLoad()
	s.inject()
	s.ensureRunning()
	pipelinetest.WaitLoad(ctx, t, s.load, 2*time.Minute)
	for _, f := range allFaults {
		if s.injected[f.name] == 0 {
			t.Fatalf("fault %s was never injected (injected: %v)", f.name, s.injected)
		}
	}
	// Generous: after a broker restart the ClickHouse replayer has been seen to need minutes before
	// its dropped orderly queues are consumed again (see docs/replayer.md, known issues).
	waited := s.p.WaitConverged(ctx, t, 10*time.Minute)
	t.Logf("faults injected: %v; load runs %d; copies converged %s after the schedule", s.injected, s.loads, waited.Round(time.Second))
}

// startLoad runs the workload until the end of the schedule; ensureRunning restarts it when a
// source kill made it exit.
func (s *suite) startLoad() {
	s.loads++
	s.load = s.p.StartLoad(s.t, s.sch.rate, max(time.Until(s.loadEnd), time.Second), s.rng.Int64())
}

func (s *suite) inject() {
	sch, end := s.sch, s.loadEnd
	// Every kind of fault is injected at least once, in random order, then random ones until the
	// schedule ends.
	order := s.rng.Perm(len(allFaults))
	for i := 0; i < len(allFaults) || time.Now().Before(end); i++ {
		time.Sleep(sch.every/2 + time.Duration(s.rng.Int64N(int64(sch.every))))
		f := allFaults[s.rng.IntN(len(allFaults))]
		if i < len(order) {
			f = allFaults[order[i]]
		}
		s.t.Logf("fault %d at %s: %s", i+1, time.Now().Format("15:04:05.000"), f.name)
		if err := f.inject(s); err != nil {
			s.t.Fatalf("inject %s: %v\n%s", f.name, err, s.p.Logs())
		}
		s.injected[f.name]++
		s.ensureRunning()
	}
}

// ensureRunning restarts Ferry processes that exited, as a process supervisor would, and fails
// the test if one exits again at once (a crash loop).
func (s *suite) ensureRunning() {
	if !s.load.Running() && time.Now().Before(s.loadEnd) {
		s.t.Logf("order-flow load had exited; restarting:\n%s", s.load.Log(800))
		s.startLoad()
	}
	if !s.p.Tailer().Running() {
		s.t.Logf("tailer had exited; restarting:\n%s", s.p.Tailer().Log(1500))
		s.p.StartTailer(s.t)
	}
	for _, sink := range pipelinetest.Sinks {
		if !s.p.Replayer(sink).Running() {
			s.t.Logf("replayer %s had exited; restarting:\n%s", sink, s.p.Replayer(sink).Log(1500))
			s.p.StartReplayer(s.t, sink)
		}
	}
}

func (s *suite) pause() { time.Sleep(time.Duration(s.rng.Int64N(int64(2 * time.Second)))) }

func (s *suite) killTailer() error {
	s.p.Tailer().Kill()
	s.pause()
	s.p.StartTailer(s.t)
	return nil
}

func (s *suite) killReplayer() error {
	sink := pipelinetest.Sinks[s.rng.IntN(len(pipelinetest.Sinks))]
	s.p.Replayer(sink).Kill()
	s.pause()
	s.p.StartReplayer(s.t, sink)
	return nil
}

// killServer SIGKILLs one of the private stack's servers by its pid file and starts it again
// with `scripts/stack up`.
func (s *suite) killServer(name string) error {
	raw, err := os.ReadFile(filepath.Join(s.st.Dir, "run", name+".pid"))
	if err != nil {
		return fmt.Errorf("read %s pid file: %w", name, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		return fmt.Errorf("parse %s pid: %w", name, err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill %s (pid %d): %w", name, pid, err)
	}
	for syscall.Kill(pid, 0) == nil {
		time.Sleep(50 * time.Millisecond)
	}
	s.pause()
	cmd := exec.CommandContext(s.ctx, filepath.Join(testenv.RepoRoot(), "scripts", "stack"), "up")
	cmd.Env = os.Environ()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("restart %s with scripts/stack up: %w\n%s", name, err, out)
	}
	return nil
}

// changeQueues grows the change topic by two queues: keys move to other queues, which may
// reorder a key's changes between queues; versions must make that harmless.
func (s *suite) changeQueues() error {
	s.queues += 2
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	return mq.EnsureTopic(ctx, s.st.NameServer, s.st.BrokerAddr, s.p.Topic, s.queues)
}

// runDDL adds a column to a busy table in the middle of the stream.
func (s *suite) runDDL() error {
	s.ddl++
	table := []string{"orders", "order_items", "payments", "products"}[s.rng.IntN(4)]
	stmt := fmt.Sprintf("ALTER TABLE %s ADD COLUMN fault_note_%d VARCHAR(32) NULL", table, s.ddl)
	if _, err := s.src.ExecContext(s.ctx, stmt); err != nil {
		return fmt.Errorf("%s: %w", stmt, err)
	}
	return nil
}

// resyncOlder stops the tailer, moves its checkpoint back to where the test started streaming and
// restarts it: everything since is published again.
func (s *suite) resyncOlder() error {
	if err := s.p.Tailer().Stop(30 * time.Second); err != nil {
		s.t.Logf("tailer stop before resync: %v", err)
	}
	s.p.Once(s.t, "tailer-resync", "./cmd/binlog-tailer", "resync", "--source-addr", s.st.SourceAddr,
		"--user", s.st.ReplUser, "--password", s.st.ReplPassword, "--data-dir", s.p.TailerDir,
		"--from-file", s.start.file, "--from-pos", fmt.Sprint(s.start.pos), "--metrics-addr", "")
	s.p.StartTailer(s.t)
	return nil
}

// head returns the source's current binlog file and position.
func (s *suite) head() (string, uint64) {
	var file string
	var pos uint64
	var rest [4]sql.RawBytes
	rows, err := s.src.QueryContext(s.ctx, "SHOW MASTER STATUS")
	if err != nil {
		s.t.Fatalf("SHOW MASTER STATUS: %v", err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	if !rows.Next() {
		s.t.Fatal("SHOW MASTER STATUS returned nothing: is the binlog enabled on the source?")
	}
	dest := []any{&file, &pos}
	for i := 2; i < len(cols); i++ {
		dest = append(dest, &rest[i-2])
	}
	if err := rows.Scan(dest...); err != nil {
		s.t.Fatalf("scan SHOW MASTER STATUS: %v", err)
	}
	return file, pos
}
