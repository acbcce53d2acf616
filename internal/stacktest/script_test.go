package stacktest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-cdc/ferry/internal/testenv"
)

// runStack runs scripts/stack with args against the test's stack folder.
func runStack(t *testing.T, s *testenv.Stack, args ...string) string {
	t.Helper()
	cmd := exec.Command("bash", append([]string{filepath.Join(testenv.RepoRoot(), "scripts", "stack")}, args...)...)
	cmd.Env = append(os.Environ(), "FERRY_STACK_DIR="+s.Dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/stack %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestStackScript checks that `scripts/stack status` shows every server up
// with its pid and data folder, that `env` agrees with testenv's addresses,
// and that a repeated `up` is an idempotent no-op.
func TestStackScript(t *testing.T) {
	s := testenv.Get(t)
	t.Run("status", func(t *testing.T) {
		out := runStack(t, s, "status")
		for _, name := range []string{"source", "copy", "namesrv", "broker", "clickhouse", "prometheus", "redis"} {
			var line string
			for _, l := range strings.Split(out, "\n") {
				if f := strings.Fields(l); len(f) == 5 && f[0] == name {
					line = l
				}
			}
			f := strings.Fields(line)
			if len(f) != 5 || f[2] == "-" || f[3] != "up" || f[4] != filepath.Join(s.Dir, name) {
				t.Errorf("status line for %s = %q; want port, pid, up, %s", name, line, filepath.Join(s.Dir, name))
			}
		}
	})
	t.Run("env", func(t *testing.T) {
		out := runStack(t, s, "env")
		for _, want := range []string{
			"FERRY_SOURCE_DSN='ferry:ferry@tcp(" + s.SourceAddr + ")/'",
			"FERRY_NAMESERVER=" + s.NameServer,
			"FERRY_CLICKHOUSE_ADDR=" + s.ClickHouseAddr,
			"FERRY_PROMETHEUS_URL=" + s.PrometheusURL,
			"FERRY_REDIS_ADDR=" + s.RedisAddr,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("scripts/stack env lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("up is idempotent", func(t *testing.T) {
		out := runStack(t, s, "up")
		if strings.Contains(out, "starting") || strings.Contains(out, "ready on") || !strings.Contains(out, "stack up in") {
			t.Fatalf("second up started something:\n%s", out)
		}
	})
}
