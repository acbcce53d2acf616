package obs

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return resp.StatusCode, string(b)
}

func TestServeEndpoints(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "ferry_test_things_total", Help: "Things."})
	reg.MustRegister(c)
	c.Add(3)
	var readyErr error = errors.New("binlog stream not connected")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeListener(ctx, ln, reg, func() error { return readyErr }, nil) }()
	base := "http://" + ln.Addr().String()

	tests := []struct {
		name, path string
		ready      error
		code       int
		contains   string
	}{
		{"metrics", "/metrics", nil, 200, "ferry_test_things_total 3"},
		{"healthz", "/healthz", readyErr, 200, "ok"},
		{"readyz not ready", "/readyz", readyErr, 503, "binlog stream not connected"},
		{"readyz ready", "/readyz", nil, 200, "ok"},
		{"profiler index", "/debug/pprof/", nil, 200, "goroutine"},
		{"unknown path", "/nope", nil, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			readyErr = tt.ready // sequential subtests; the handler reads it per request
			code, body := get(t, base+tt.path)
			if code != tt.code || !strings.Contains(body, tt.contains) {
				t.Fatalf("GET %s = %d %q, want %d containing %q", tt.path, code, body, tt.code, tt.contains)
			}
		})
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve after cancel = %v, want nil", err)
		}
	case <-time.After(ShutdownTimeout + time.Second):
		t.Fatal("Serve did not return after its context was cancelled")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("server still answering after shutdown")
	}
}

func TestServeListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = Serve(context.Background(), ln.Addr().String(), prometheus.NewRegistry(), nil, nil)
	if err == nil || !strings.Contains(err.Error(), "listen for metrics") {
		t.Fatalf("Serve on a busy port = %v, want a listen error", err)
	}
}

func TestServeNilReadyIsReady(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = ServeListener(ctx, ln, prometheus.NewRegistry(), nil, nil) }()
	if code, _ := get(t, "http://"+ln.Addr().String()+"/readyz"); code != 200 {
		t.Fatalf("/readyz with nil ready = %d, want 200", code)
	}
}
