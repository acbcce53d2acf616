package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
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

func TestBindErrors(t *testing.T) {
	type inner struct {
		N int `yaml:"n"`
	}
	type unsupported struct {
		M map[string]int `yaml:"m" help:"a map"`
	}
	type twice struct {
		A string `yaml:"a" help:"a"`
		B string `yaml:"a" help:"again"`
	}
	type outer struct {
		inner `yaml:",inline"`
	}
	tests := []struct {
		name string
		cfg  any
		help Help
	}{
		{"not a pointer", testConfig{}, nil},
		{"unsupported kind", &unsupported{}, nil},
		{"declared twice", &twice{}, nil},
		{"help for a missing key", &outer{}, Help{reflect.TypeFor[inner](): {"n": "n", "typo": "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Bind(pflag.NewFlagSet("t", pflag.ContinueOnError), tt.cfg, tt.help)
			if !errors.Is(err, ErrBind) {
				t.Fatalf("Bind = %v, want ErrBind", err)
			}
		})
	}
}

// TestBindKinds binds every supported kind, including a key of an unexported inline struct known
// only from the help map, and sets each from text.
func TestBindKinds(t *testing.T) {
	type pkgConfig struct {
		U8     uint8 `yaml:"u8"`
		Hidden int   `yaml:"hidden"` // no help: not a key
	}
	type kinds struct {
		pkgConfig `yaml:",inline"`
		S         string        `yaml:"s" help:"s"`
		B         bool          `yaml:"b" help:"b"`
		I64       int64         `yaml:"i64" help:"i64"`
		F         float64       `yaml:"f" help:"f"`
		D         time.Duration `yaml:"d" help:"d"`
		L         []string      `yaml:"l" help:"l"`
	}
	var k kinds
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	if err := Bind(fs, &k, Help{reflect.TypeFor[pkgConfig](): {"u8": "u8"}}); err != nil {
		t.Fatal(err)
	}
	if fs.Lookup("hidden") != nil {
		t.Fatal("a field without help became a flag")
	}
	args := []string{"--u8=7", "--s=x", "--b", "--i64=-3", "--f=1.5", "--d=2s", "--l=a,b", "--l=c"}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	want := kinds{pkgConfig: pkgConfig{U8: 7}, S: "x", B: true, I64: -3, F: 1.5, D: 2 * time.Second, L: []string{"a", "b", "c"}}
	if !reflect.DeepEqual(k, want) {
		t.Fatalf("got %+v, want %+v", k, want)
	}
	if err := fs.Set("u8", "256"); err == nil || k.U8 != 7 {
		t.Fatalf("u8=256: err %v, value %d (want an error and the old value)", err, k.U8)
	}
}

func TestLoadYAMLForms(t *testing.T) {
	tests := []struct {
		name, yaml string
		wantErr    bool
		want       []string
	}{
		{"sequence", "tables: [a, b]\n", false, []string{"a", "b"}},
		{"block sequence", "tables:\n  - a\n  - c\n", false, []string{"a", "c"}},
		{"comma string", "tables: a,d\n", false, []string{"a", "d"}},
		{"null keeps default", "tables:\n", false, []string{"x"}},
		{"empty file", "", false, []string{"x"}},
		{"list for a scalar", "port: [1, 2]\n", true, nil},
		{"nested mapping", "tables: {a: 1}\n", true, nil},
		{"config key", "config: other.yaml\n", true, nil},
		{"not a mapping", "- a\n", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(file, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg := testConfig{Tables: []string{"x"}}
			err := Load(newFlags(&cfg), file, "T_")
			if (err != nil) != tt.wantErr {
				t.Fatalf("Load = %v, want error %v", err, tt.wantErr)
			}
			if !tt.wantErr && !reflect.DeepEqual(cfg.Tables, tt.want) {
				t.Fatalf("tables = %v, want %v", cfg.Tables, tt.want)
			}
		})
	}
}
