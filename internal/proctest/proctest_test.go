package proctest

import (
	"strings"
	"testing"
	"time"
)

func TestProcLifecycle(t *testing.T) {
	tests := []struct {
		name     string
		bin      string
		args     []string
		stop     func(p *Proc) error
		wantLog  string
		wantFail bool
	}{
		{"exits by itself with output", "/bin/sh", []string{"-c", "echo hello-from-child; exit 3"},
			func(p *Proc) error {
				exited, err := p.Wait(10 * time.Second)
				if !exited {
					t.Fatal("process did not exit")
				}
				return err
			}, "hello-from-child", true},
		{"graceful SIGTERM", "/bin/sh", []string{"-c", "trap 'echo got-term; exit 0' TERM; echo ready; while :; do sleep 0.05; done"},
			func(p *Proc) error {
				time.Sleep(300 * time.Millisecond)
				return p.Stop(5 * time.Second)
			}, "got-term", false},
		{"SIGKILL", "/bin/sleep", []string{"30"},
			func(p *Proc) error { p.Kill(); return nil }, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Start(t, "child", tt.bin, tt.args)
			err := tt.stop(p)
			if (err != nil) != tt.wantFail {
				t.Fatalf("exit error %v, want failure %v", err, tt.wantFail)
			}
			if p.Running() {
				t.Fatal("process still running")
			}
			if tt.wantLog != "" && !p.LogContains(tt.wantLog) {
				t.Fatalf("log %q lacks %q", p.Log(1000), tt.wantLog)
			}
		})
	}
}

func TestBuildAndWaitHTTPFailure(t *testing.T) {
	bin := Build(t, "./cmd/ferry-bench")
	if !strings.HasSuffix(bin, "/ferry-bench") {
		t.Fatalf("binary path %q", bin)
	}
	if again := Build(t, "./cmd/ferry-bench"); again != bin {
		t.Fatalf("second Build returned %q, want cached %q", again, bin)
	}
	p := Start(t, "bench", bin, nil)
	exited, err := p.Wait(10 * time.Second)
	if !exited || err == nil || !p.LogContains("no benchmark lines") {
		t.Fatalf("ferry-bench with empty stdin: exited=%v err=%v log=%q", exited, err, p.Log(500))
	}
	if addr := FreeAddr(t); !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("FreeAddr = %q", addr)
	}
}
