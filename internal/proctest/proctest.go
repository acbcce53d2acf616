// Package proctest runs Ferry's own binaries as real subprocesses in integration tests, so that
// tests can kill them with SIGKILL at arbitrary points, restart them and watch them recover, exactly
// as an operator's process supervisor would.
package proctest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/testenv"
)

var (
	buildMu sync.Mutex
	built   = map[string]string{}
)

// Build compiles the main package at pkg (for example "./cmd/binlog-tailer", relative to the
// repository root) once per test process and returns the binary's path. Binaries land in
// <repo>/.stack/bin; concurrent test processes build to a temporary name and rename, so they never
// see a half-written file.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := built[pkg]; ok {
		return p
	}
	root := testenv.RepoRoot()
	dir := filepath.Join(root, ".stack", "bin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("create binary dir: %v", err)
	}
	out := filepath.Join(dir, filepath.Base(pkg))
	tmp := fmt.Sprintf("%s.%d.tmp", out, os.Getpid())
	cmd := exec.Command("go", "build", "-o", tmp, pkg)
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, msg)
	}
	if err := os.Rename(tmp, out); err != nil {
		t.Fatalf("install %s: %v", out, err)
	}
	built[pkg] = out
	return out
}

// Proc is one running subprocess with its output captured to a log file.
type Proc struct {
	Name    string
	LogPath string
	cmd     *exec.Cmd
	done    chan struct{}
	err     error
}

// Start starts bin with args and extra environment, logging stdout and stderr to a file in the
// test's temp dir. The process is killed when the test ends if it is still running.
func Start(t testing.TB, name, bin string, args []string, env ...string) *Proc {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("create log for %s: %v", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	p := &Proc{Name: name, LogPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	t.Cleanup(func() { p.Kill() })
	return p
}

// Kill sends SIGKILL and waits for the process to be gone.
func (p *Proc) Kill() {
	if p.Running() {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-p.done
}

// Stop sends SIGTERM and waits up to timeout for a graceful exit, then kills. It returns the
// process's exit error (nil for a clean exit) or an error saying it had to be killed.
func (p *Proc) Stop(timeout time.Duration) error {
	if p.Running() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		p.Kill()
		return fmt.Errorf("%s did not exit within %s of SIGTERM and was killed", p.Name, timeout)
	}
}

// Pid returns the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Running reports whether the process has not exited yet.
func (p *Proc) Running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Wait waits up to timeout for the process to exit by itself; exited is false on timeout, and err
// is the exit error otherwise.
func (p *Proc) Wait(timeout time.Duration) (exited bool, err error) {
	select {
	case <-p.done:
		return true, p.err
	case <-time.After(timeout):
		return false, nil
	}
}

// Log returns the process's output so far (the last max bytes).
func (p *Proc) Log(max int) string {
	b, _ := os.ReadFile(p.LogPath)
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}

// FreeAddr returns a loopback host:port that was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// WaitHTTP polls url until it answers 200 or timeout passes, failing the test with the process
// log when it does not.
func WaitHTTP(t testing.TB, p *Proc, url string, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for ctx.Err() == nil {
		if ok, _ := get(ctx, url); ok {
			return
		}
		if p != nil && !p.Running() {
			t.Fatalf("%s exited before %s answered: %v\n%s", p.Name, url, p.err, p.Log(4000))
		}
		time.Sleep(100 * time.Millisecond)
	}
	msg := ""
	if p != nil {
		msg = p.Log(4000)
	}
	t.Fatalf("%s did not answer 200 within %s\n%s", url, timeout, msg)
}

func get(ctx context.Context, url string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	return resp.StatusCode == http.StatusOK, nil
}

// LogContains reports whether the process's output contains s.
func (p *Proc) LogContains(s string) bool {
	b, _ := os.ReadFile(p.LogPath)
	return bytes.Contains(b, []byte(s))
}
