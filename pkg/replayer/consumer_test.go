package replayer

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/sink/mysqlsink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// TestConsumerConvergesAcrossRestart publishes a random history (with duplicate messages) to
// a 4-queue topic, stops the replayer gracefully half-way, publishes the rest and starts a new
// replayer in the same group: the copy must equal the source's final state, for both sinks.
func TestConsumerConvergesAcrossRestart(t *testing.T) {
	st := testenv.Get(t)
	for _, tc := range []struct {
		name   string
		target func(*testing.T) copyTarget
	}{
		{"mysql", func(t *testing.T) copyTarget { return newMySQLTarget(t, st) }},
		{"clickhouse", func(t *testing.T) copyTarget { return newCHTarget(t, st) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const queues = 4
			topic := st.NewTopic(t, queues)
			target := tc.target(t)
			rng := rand.New(rand.NewPCG(7, 7))
			table := sinktest.PropTable("src", "orders_like")
			h := sinktest.Generate(rng, table, 400, 60)
			msgs := toMessages(h.Rows, queues)
			pub := newPublisher(t, st, topic, queues)
			half := len(msgs) / 2
			for i, m := range msgs[:half] {
				pub.send(m)
				if i%10 == 0 { // duplicate delivery from the producer side
					pub.send(m)
				}
			}
			cfg := testConfig(st, topic)
			r1, stop1 := startReplayer(t, cfg, target)
			deadline := time.Now().Add(60 * time.Second)
			for metricValue(r1.metrics.MessagesTotal.WithLabelValues("rows")) < 10 {
				if time.Now().After(deadline) {
					t.Fatal("first replayer applied fewer than 10 messages in 60 s")
				}
				time.Sleep(100 * time.Millisecond)
			}
			if err := stop1(); err != nil {
				t.Fatalf("graceful stop: %v", err)
			}
			for _, m := range msgs[half:] {
				pub.send(m)
			}
			r2, _ := startReplayer(t, cfg, target)
			waitConverged(t, target, table, h.Final, 120*time.Second)
			if n := metricValue(r2.metrics.MessagesTotal.WithLabelValues("rows")); n == 0 {
				t.Fatal("second replayer acknowledged nothing")
			}
		})
	}
}

// TestConsumerSurvivesSIGKILL runs the replayer as a separate process, kills it with SIGKILL
// while it applies, restarts it with the same instance name (so it reclaims its queue locks at
// once) and checks that the copy converges; then SIGTERM must stop it with exit status 0.
func TestConsumerSurvivesSIGKILL(t *testing.T) {
	st := testenv.Get(t)
	const queues = 3
	topic := st.NewTopic(t, queues)
	target := newMySQLTarget(t, st)
	rng := rand.New(rand.NewPCG(11, 3))
	table := sinktest.PropTable("src", "killed")
	h := sinktest.Generate(rng, table, 1500, 300)
	msgs := toMessages(h.Rows, queues)
	pub := newPublisher(t, st, topic, queues)
	for _, m := range msgs {
		pub.send(m)
	}
	cfg := testConfig(st, topic)
	cfg.Instance = testenv.UniqueName("killed")
	cfg.ConsumeBatch = 4 // many small callbacks so the kill lands mid-stream
	spec := childSpec{Replayer: cfg, MySQL: mysqlsink.DefaultConfig()}
	spec.MySQL.DSN, spec.MySQL.CopyDatabase, spec.MySQL.ViewDatabase = st.CopyDSN(""), target.copyDB, target.viewDB
	child := startChild(t, spec)
	waitRows(t, target, table.Name, 50, 60*time.Second)
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	var atKill int
	if err := target.sink.DB().QueryRow(fmt.Sprintf("SELECT COUNT(*) FROM `%s`.`%s`", target.copyDB, table.Name)).Scan(&atKill); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, r := range h.Rows {
		keys[sinktest.Key(table, r.Values)] = true
	}
	if atKill >= len(keys) {
		t.Fatalf("SIGKILL came after all %d keys were written; the test no longer kills mid-stream", len(keys))
	}
	t.Logf("killed with %d of %d keys in the copy", atKill, len(keys))
	child = startChild(t, spec)
	waitConverged(t, target, table, h.Final, 120*time.Second)
	if status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", child.Process.Pid)); err == nil {
		for _, line := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(line, "VmHWM:") || strings.HasPrefix(line, "VmRSS:") {
				t.Logf("replayer process %s", strings.Join(strings.Fields(line), " "))
			}
		}
	}
	if err := child.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := child.Wait(); err != nil {
		t.Fatalf("replayer after SIGTERM: %v (want exit status 0)", err)
	}
}

func startChild(t *testing.T, spec childSpec) *exec.Cmd {
	t.Helper()
	b, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(b))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd
}

// waitRows waits until the copy table holds at least n rows (tombstones included).
func waitRows(t *testing.T, mt *mysqlTarget, table string, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		var got int
		err := mt.sink.DB().QueryRow(fmt.Sprintf("SELECT COUNT(*) FROM `%s`.`%s`", mt.copyDB, table)).Scan(&got)
		if err == nil && got >= n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("copy %s.%s did not reach %d rows within %s", mt.copyDB, table, n, timeout)
}
