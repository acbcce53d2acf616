package canal

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/checkpoint"
)

// waitStop waits for the tailer to stop by itself and returns its error.
func waitStop(t *testing.T, mt *memTailer, within time.Duration) error {
	t.Helper()
	select {
	case err := <-mt.done:
		mt.done <- err
		return err
	case <-time.After(within):
		t.Fatalf("tailer still running after %v; want it to stop with an operator error", within)
		return nil
	}
}

func TestOperatorErrors(t *testing.T) {
	st := testenv.Get(t)
	dbName := st.NewSourceDatabase(t)
	admin := st.OpenSource(t, "")
	head, err := SourceHead(t.Context(), func() *Config { c := testConfig(t, st, dbName); return &c }())
	if err != nil {
		t.Fatal(err)
	}
	weak := testenv.UniqueName("weak")
	if len(weak) > 32 {
		weak = weak[len(weak)-32:]
	}
	mustExec(t, admin, fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY 'pw'", weak), fmt.Sprintf("GRANT SELECT ON *.* TO '%s'@'%%'", weak))
	t.Cleanup(func() { admin.Exec(fmt.Sprintf("DROP USER '%s'@'%%'", weak)) })

	tests := []struct {
		name   string
		mutate func(c *Config, from *checkpoint.State)
		want   error
		words  []string
	}{
		{"purged file", func(c *Config, f *checkpoint.State) { f.File, f.Pos = "binlog.999999", 4 }, ErrPurged,
			[]string{"1236", "binlog-tailer resync", "backfill", "binlog.999999"}},
		{"invalid position", func(c *Config, f *checkpoint.State) { f.Pos = head.Pos + 1<<30 }, ErrPurged,
			[]string{"1236", "binlog-tailer resync"}},
		{"wrong password", func(c *Config, f *checkpoint.State) { c.Password = "wrong" }, ErrAccess,
			[]string{c0(st.ReplUser), "password", "FERRY_TAILER_PASSWORD"}},
		{"missing privileges", func(c *Config, f *checkpoint.State) { c.User, c.Password = weak, "pw" }, ErrPrivileges,
			[]string{"GRANT REPLICATION SLAVE", weak}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t, st, dbName)
			from := checkpoint.State{File: head.File, Pos: head.Pos}
			tt.mutate(&cfg, &from)
			mt := startMem(t, cfg, 1, &from)
			err := waitStop(t, mt, 20*time.Second)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			for _, w := range tt.words {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func c0(s string) string { return `"` + s + `"` }

// TestDuplicateServerID: a second replica with the same server id stops one tailer with an error
// that says to choose another server-id.
func TestDuplicateServerID(t *testing.T) {
	st := testenv.Get(t)
	dbName := st.NewSourceDatabase(t)
	cfg := testConfig(t, st, dbName)
	a := startMem(t, cfg, 1, nil)
	time.Sleep(500 * time.Millisecond)
	cfg2 := cfg
	cfg2.DataDir = t.TempDir()
	b := startMem(t, cfg2, 1, nil)
	var err error
	select {
	case err = <-a.done:
		a.done <- err
	case err = <-b.done:
		b.done <- err
	case <-time.After(30 * time.Second):
		t.Fatal("two tailers with one server id kept running")
	}
	t.Logf("stopped with: %v", err)
	if !errors.Is(err, ErrServerID) || !strings.Contains(err.Error(), "server-id") {
		t.Fatalf("err = %v, want ErrServerID", err)
	}
}
