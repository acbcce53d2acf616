// Package testenv hands integration tests connections to Ferry's local stack
// of real servers (scripts/stack): MariaDB source and copy, RocketMQ name
// server and broker, ClickHouse, Prometheus and Redis, all on 127.0.0.1.
//
// Get starts the stack with `scripts/stack up` when a quick TCP probe finds a
// server down. When the stack cannot be started the test fails with the
// reason and the command to run; it never skips.
//
// Tests share one stack, also across packages running in parallel, so every
// test must work in its own uniquely named databases, topics and consumer
// groups (NewSourceDatabase, NewCopyDatabase, NewClickHouseDatabase,
// NewTopic, UniqueName) and must never stop the stack.
package testenv

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Default credentials created by scripts/stack up.
const (
	adminUser    = "ferry"
	adminPass    = "ferry"
	replUser     = "ferry_repl"
	replPass     = "ferry_repl"
	upTimeout    = 15 * time.Minute
	lockWait     = 15 * time.Minute
	probeTimeout = 500 * time.Millisecond
)

// Stack describes the running local stack. Addresses are host:port on
// 127.0.0.1.
type Stack struct {
	SourceAddr     string // MariaDB source (row binlog, GTID), e.g. 127.0.0.1:3307
	CopyAddr       string // MariaDB copy, e.g. 127.0.0.1:3308
	AdminUser      string // ALL PRIVILEGES WITH GRANT OPTION on source and copy
	AdminPassword  string
	ReplUser       string // REPLICATION SLAVE, BINLOG MONITOR, SELECT on the source
	ReplPassword   string
	NameServer     string // RocketMQ name server
	BrokerAddr     string // RocketMQ broker (remoting port)
	ClickHouseAddr string // ClickHouse native protocol
	ClickHouseHTTP string // ClickHouse HTTP interface (host:port)
	PrometheusURL  string // e.g. http://127.0.0.1:9090
	PromTargetsDir string // file_sd directory Prometheus watches (*.json)
	RedisAddr      string
	Dir            string // the stack's data folder (FERRY_STACK_DIR)
}

// portSpec names one of the stack's ports: environment variable, default.
type portSpec struct {
	env  string
	def  int
	name string
}

var ports = []portSpec{
	{"FERRY_SOURCE_PORT", 3307, "source"},
	{"FERRY_COPY_PORT", 3308, "copy"},
	{"FERRY_NAMESRV_PORT", 9876, "namesrv"},
	{"FERRY_BROKER_PORT", 10911, "broker"},
	{"FERRY_CH_PORT", 9000, "clickhouse"},
	{"FERRY_CH_HTTP_PORT", 8123, "clickhouse-http"},
	{"FERRY_PROM_PORT", 9090, "prometheus"},
	{"FERRY_REDIS_PORT", 6379, "redis"},
}

var (
	mu     sync.Mutex
	cached *Stack
	failed error
)

// Get returns the running stack, starting it (scripts/stack up) if a server
// does not accept connections. It calls t.Fatal with the reason and the
// command to run when the stack cannot be brought up. A failure is
// remembered, so later tests in the process fail at once with the same reason.
func Get(t testing.TB) *Stack {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if cached != nil {
		return cached
	}
	if failed != nil {
		t.Fatal(failed)
	}
	s, err := resolve()
	if err == nil {
		err = ensureUp(t, s)
	}
	if err != nil {
		failed = err
		t.Fatal(err)
	}
	cached = s
	return s
}

// resolve works out the stack's folder and ports: environment variables
// first, then the stack.env file written by `scripts/stack up`, then defaults.
func resolve() (*Stack, error) {
	root := RepoRoot()
	dir := os.Getenv("FERRY_STACK_DIR")
	if dir == "" {
		dir = filepath.Join(root, ".stack")
	}
	fileEnv := readEnvFile(filepath.Join(dir, "stack.env"))
	port := map[string]int{}
	for _, p := range ports {
		v := os.Getenv(p.env)
		if v == "" {
			v = fileEnv[p.env]
		}
		port[p.name] = p.def
		if v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 || n > 65535 {
				return nil, fmt.Errorf("testenv: %s=%q is not a port number; fix or unset it", p.env, v)
			}
			port[p.name] = n
		}
	}
	addr := func(name string) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port[name])) }
	return &Stack{
		SourceAddr: addr("source"), CopyAddr: addr("copy"),
		AdminUser: adminUser, AdminPassword: adminPass, ReplUser: replUser, ReplPassword: replPass,
		NameServer: addr("namesrv"), BrokerAddr: addr("broker"),
		ClickHouseAddr: addr("clickhouse"), ClickHouseHTTP: addr("clickhouse-http"),
		PrometheusURL:  "http://" + addr("prometheus"),
		PromTargetsDir: filepath.Join(dir, "prometheus", "targets"),
		RedisAddr:      addr("redis"),
		Dir:            dir,
	}, nil
}

// readEnvFile parses `export KEY=VALUE` lines (values optionally quoted).
func readEnvFile(path string) map[string]string {
	out := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimPrefix(strings.TrimSpace(sc.Text()), "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		out[k] = strings.Trim(v, `'"`)
	}
	return out
}

// addrs lists every address Get probes, with the server's name.
func (s *Stack) addrs() [][2]string {
	prom := strings.TrimPrefix(s.PrometheusURL, "http://")
	return [][2]string{
		{"source", s.SourceAddr}, {"copy", s.CopyAddr}, {"namesrv", s.NameServer},
		{"broker", s.BrokerAddr}, {"clickhouse", s.ClickHouseAddr}, {"clickhouse-http", s.ClickHouseHTTP},
		{"prometheus", prom}, {"redis", s.RedisAddr},
	}
}

// down returns the servers that do not accept TCP connections.
func (s *Stack) down() []string {
	var out []string
	for _, a := range s.addrs() {
		c, err := net.DialTimeout("tcp", a[1], probeTimeout)
		if err != nil {
			out = append(out, a[0]+" ("+a[1]+")")
			continue
		}
		c.Close()
	}
	return out
}

// ensureUp waits for any `scripts/stack up` in progress (it holds the stack's
// flock), probes the ports, and runs `scripts/stack up` if one is closed.
func ensureUp(t testing.TB, s *Stack) error {
	if err := waitForLock(s.Dir); err != nil {
		return err
	}
	missing := s.down()
	if len(missing) == 0 {
		return nil
	}
	script := filepath.Join(RepoRoot(), "scripts", "stack")
	t.Logf("testenv: %s not reachable; running %s up", strings.Join(missing, ", "), script)
	start := time.Now()
	out, err := runUp(script, s.Dir)
	if err != nil {
		return fmt.Errorf("testenv: the local stack could not be started (%s down): %v\n%s\n"+
			"Fix the cause shown above, then run: scripts/stack up   (from %s; logs: scripts/stack logs NAME)",
			strings.Join(missing, ", "), err, lastLines(out, 40), RepoRoot())
	}
	if still := s.down(); len(still) > 0 {
		return fmt.Errorf("testenv: scripts/stack up succeeded but %s still refuse connections; run: scripts/stack status",
			strings.Join(still, ", "))
	}
	t.Logf("testenv: stack up in %s", time.Since(start).Round(time.Millisecond))
	return nil
}

func runUp(script, dir string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), upTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script, "up")
	cmd.Dir = RepoRoot()
	cmd.Env = append(os.Environ(), "FERRY_STACK_DIR="+dir)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	// Servers are detached with their output in log files; WaitDelay guards
	// against a child that still holds the pipe.
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	return buf.Bytes(), err
}

// waitForLock blocks while another process holds the stack's lock
// exclusively (an `up` or `down` in progress), bounded by lockWait.
func waitForLock(dir string) error {
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_RDONLY, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("testenv: open stack lock: %w", err)
	}
	defer f.Close()
	deadline := time.Now().Add(lockWait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
		if err == nil {
			return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("testenv: %s/.lock held for %s by a scripts/stack process; check it with: scripts/stack status", dir, lockWait)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
