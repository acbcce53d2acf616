package faults

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ferry-cdc/ferry/internal/testenv"
)

// privatePorts are the private stack's ports: the shared stack's plus 14000, below the ephemeral
// range, so both stacks coexist.
var privatePorts = map[string]int{
	"FERRY_SOURCE_PORT": 17307, "FERRY_COPY_PORT": 17308, "FERRY_NAMESRV_PORT": 23876,
	"FERRY_BROKER_PORT": 24911, "FERRY_CH_PORT": 23000, "FERRY_CH_HTTP_PORT": 22123,
	"FERRY_PROM_PORT": 23090, "FERRY_REDIS_PORT": 20379,
}

// TestMain points testenv (and every `scripts/stack up` it runs) at the private stack before any
// test touches a server, and stops the private stack afterwards. The ports are fixed (environment port variables of the shared stack are
// overridden); FERRY_FAULTS_STACK_DIR moves the private stack's data folder.
func TestMain(m *testing.M) {
	if os.Getenv("FERRY_FAULTS_STACK_DIR") == "" {
		os.Setenv("FERRY_FAULTS_STACK_DIR", filepath.Join(testenv.RepoRoot(), ".stack-faults"))
	}
	os.Setenv("FERRY_STACK_DIR", os.Getenv("FERRY_FAULTS_STACK_DIR"))
	for k, v := range privatePorts {
		os.Setenv(k, fmt.Sprint(v))
	}
	code := m.Run()
	// The private stack only serves this suite: stop it so that it does not hold memory and CPU
	// while the rest of `go test ./...` runs (FERRY_FAULTS_KEEP_STACK=1 keeps it for debugging).
	if os.Getenv("FERRY_FAULTS_KEEP_STACK") == "" {
		cmd := exec.Command(filepath.Join(testenv.RepoRoot(), "scripts", "stack"), "down")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "faults: stopping the private stack: %v\n%s", err, out)
		}
	}
	os.Exit(code)
}
