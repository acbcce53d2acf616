package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

type testKeys struct {
	Addr     string `yaml:"addr" help:"address"`
	Password string `yaml:"password" help:"secret"`
	DSN      string `yaml:"source-dsn" help:"dsn with a password"`
}

// run executes a one-command tree with args and returns the error, the keys it ran with and
// the log output.
func run(t *testing.T, args ...string) (error, testKeys, string) {
	t.Helper()
	var buf bytes.Buffer
	app := App{EnvPrefix: "T_", Stderr: &buf}
	var got testKeys
	keys := testKeys{Addr: "def"}
	root := &cobra.Command{Use: "t", SilenceErrors: true}
	root.AddCommand(app.Command(Spec{Use: "x", Config: &keys,
		Run: func(ctx context.Context, _ *cobra.Command, _ []string, log *slog.Logger) error {
			got = keys
			log.Info("ran")
			return nil
		}}))
	root.SetArgs(append([]string{"x"}, args...))
	err := root.Execute()
	return err, got, buf.String()
}

func TestCommand(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr error
		want    testKeys
	}{
		{"defaults", nil, nil, nil, testKeys{Addr: "def"}},
		{"flag", []string{"--addr=a"}, nil, nil, testKeys{Addr: "a"}},
		{"env", nil, map[string]string{"T_ADDR": "e", "T_PASSWORD": "hunter2"}, nil, testKeys{Addr: "e", Password: "hunter2"}},
		{"valid level any case", []string{"--log-level=WARN"}, nil, nil, testKeys{Addr: "def"}},
		{"invalid level", []string{"--log-level=loud"}, nil, ErrLogLevel, testKeys{}},
		{"invalid level from env", nil, map[string]string{"T_LOG_LEVEL": "verbose"}, ErrLogLevel, testKeys{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			err, got, _ := run(t, tt.args...)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("ran with %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestSecretsNotLogged runs at debug level, where the scaffold logs every key, and requires the
// password and the DSN to be redacted while other keys are shown.
func TestSecretsNotLogged(t *testing.T) {
	err, _, out := run(t, "--log-level=debug", "--password=hunter2", "--source-dsn=u:s3cret@tcp(h)/", "--addr=visible")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "hunter2") || strings.Contains(out, "s3cret") {
		t.Fatalf("secret in log:\n%s", out)
	}
	if !strings.Contains(out, "addr=visible") || !strings.Contains(out, "password=[redacted]") {
		t.Fatalf("config line missing or not redacted:\n%s", out)
	}
}

// TestMetricsServer serves a registry, scrapes it, and stops it twice (a deferred Stop backing up
// an explicit one must not block).
func TestMetricsServer(t *testing.T) {
	if _, err := ServeMetrics(context.Background(), "256.0.0.1:1", NewRegistry(), nil, nil); err == nil {
		t.Fatal("ServeMetrics on an invalid address succeeded")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	m, err := ServeMetrics(context.Background(), addr, NewRegistry(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "go_goroutines") {
		t.Fatalf("/metrics lacks the Go collector:\n%.300s", body)
	}
	done := make(chan error, 2)
	go func() { done <- m.Stop(); done <- m.Stop() }()
	for range 2 {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Stop: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Stop blocked")
		}
	}
}
