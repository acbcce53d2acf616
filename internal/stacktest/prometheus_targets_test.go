package stacktest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-cdc/ferry/internal/testenv"
)

// promConfig renders the stack's Prometheus config (scripts/stack prometheus-config) with env
// replacing every FERRY_*_METRICS_PORT and FERRY_STACK_DIR of the test's environment.
func promConfig(t *testing.T, env ...string) string {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(testenv.RepoRoot(), "scripts", "stack"), "prometheus-config")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FERRY_STACK_DIR=") && !(strings.HasPrefix(kv, "FERRY_") && strings.Contains(kv, "_METRICS_PORT=")) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/stack prometheus-config: %v\n%s", err, out)
	}
	if _, err := exec.LookPath("promtool"); err == nil {
		p := filepath.Join(t.TempDir(), "prometheus.yml")
		if err := os.WriteFile(p, out, 0o644); err != nil {
			t.Fatal(err)
		}
		if res, err := exec.Command("promtool", "check", "config", p).CombinedOutput(); err != nil {
			t.Fatalf("promtool check config: %v\n%s\n%s", err, res, out)
		}
	}
	return string(out)
}

// TestPrometheusTargetsFollowStackPorts: the static scrape targets are the stack's own metrics
// ports, so a second stack (its own FERRY_STACK_DIR and FERRY_*_METRICS_PORT) never scrapes the
// first one's processes.
func TestPrometheusTargetsFollowStackPorts(t *testing.T) {
	first := promConfig(t, "FERRY_STACK_DIR=/tmp/ferry-first-stack")
	for _, want := range []string{"'127.0.0.1:9101'", "'127.0.0.1:9102'", "'127.0.0.1:9103'", "'127.0.0.1:9104'",
		"/tmp/ferry-first-stack/prometheus/targets/*.json"} {
		if !strings.Contains(first, want) {
			t.Errorf("default config lacks %s:\n%s", want, first)
		}
	}
	second := promConfig(t, "FERRY_STACK_DIR=/tmp/ferry-second-stack", "FERRY_TAILER_METRICS_PORT=19101",
		"FERRY_REPLAYER_MYSQL_METRICS_PORT=19102", "FERRY_REPLAYER_CLICKHOUSE_METRICS_PORT=19103", "FERRY_ORDERFLOW_METRICS_PORT=19104")
	for _, want := range []string{"'127.0.0.1:19101'", "'127.0.0.1:19102'", "'127.0.0.1:19103'", "'127.0.0.1:19104'",
		"/tmp/ferry-second-stack/prometheus/targets/*.json"} {
		if !strings.Contains(second, want) {
			t.Errorf("second stack's config lacks %s:\n%s", want, second)
		}
	}
	for _, first := range []string{":9101'", ":9102'", ":9103'", ":9104'", "ferry-first-stack"} {
		if strings.Contains(second, first) {
			t.Errorf("second stack's config still scrapes the first stack's %s", first)
		}
	}
	for _, line := range strings.Split(second, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") && strings.Contains(line, "@") {
			t.Errorf("unreplaced placeholder: %s", line)
		}
	}
}
