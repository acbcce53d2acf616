package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

type testConfig struct {
	Addr     string        `yaml:"addr" help:"address"`
	Port     int           `yaml:"port" help:"port"`
	Tables   []string      `yaml:"tables" help:"tables"`
	Interval time.Duration `yaml:"interval" help:"interval"`
	Password string        `yaml:"password" help:"password"`
}

func newFlags(cfg *testConfig) *pflag.FlagSet {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	if err := Bind(fs, cfg, nil); err != nil {
		panic(err)
	}
	return fs
}

func TestLoadPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	yaml := "addr: fromfile\nport: 2\ntables: [a, b]\ninterval: 3s\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		file string
		want testConfig
	}{
		{"defaults only", nil, nil, "", testConfig{Addr: "def", Port: 1, Tables: []string{"x"}, Interval: time.Second}},
		{"file over defaults", nil, nil, file, testConfig{Addr: "fromfile", Port: 2, Tables: []string{"a", "b"}, Interval: 3 * time.Second}},
		{"env over file", nil, map[string]string{"T_PORT": "5", "T_TABLES": "c"}, file,
			testConfig{Addr: "fromfile", Port: 5, Tables: []string{"c"}, Interval: 3 * time.Second}},
		{"flag over env", []string{"--port=7", "--tables=d,e"}, map[string]string{"T_PORT": "5"}, file,
			testConfig{Addr: "fromfile", Port: 7, Tables: []string{"d", "e"}, Interval: 3 * time.Second}},
		{"secret from env", nil, map[string]string{"T_PASSWORD": "s3cret"}, "",
			testConfig{Addr: "def", Port: 1, Tables: []string{"x"}, Interval: time.Second, Password: "s3cret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			cfg := testConfig{Addr: "def", Port: 1, Tables: []string{"x"}, Interval: time.Second}
			fs := newFlags(&cfg)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if err := Load(fs, tt.file, "T_"); err != nil {
				t.Fatalf("Load: %v", err)
			}
			if cfg.Addr != tt.want.Addr || cfg.Port != tt.want.Port || cfg.Interval != tt.want.Interval ||
				cfg.Password != tt.want.Password || len(cfg.Tables) != len(tt.want.Tables) {
				t.Fatalf("got %+v, want %+v", cfg, tt.want)
			}
			for i := range cfg.Tables {
				if cfg.Tables[i] != tt.want.Tables[i] {
					t.Fatalf("tables %v, want %v", cfg.Tables, tt.want.Tables)
				}
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("adr: typo\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file string
		env        map[string]string
	}{
		{"missing file", filepath.Join(dir, "nope.yaml"), nil},
		{"unknown key", bad, nil},
		{"bad env value", "", map[string]string{"T_PORT": "notanumber"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var cfg testConfig
			fs := newFlags(&cfg)
			if err := Load(fs, tt.file, "T_"); err == nil {
				t.Fatal("Load succeeded, want an error")
			}
		})
	}
}

func TestEnvName(t *testing.T) {
	if got := EnvName("FERRY_TAILER_", "source-addr"); got != "FERRY_TAILER_SOURCE_ADDR" {
		t.Fatalf("EnvName = %q", got)
	}
}
