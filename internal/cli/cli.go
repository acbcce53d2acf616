// Package cli is the command scaffold of Ferry's binaries: every subcommand gets its keys as flags
// derived from its config struct (see internal/config), --config YAML and environment variables
// derived from the same names, a validated --log-level, signal handling, and helpers for the
// Go memory limit and the metrics server.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ferry-cdc/ferry/internal/config"
)

// App describes one binary.
type App struct {
	// EnvPrefix prefixes environment variables, e.g. FERRY_TAILER_ (FERRY_TAILER_SOURCE_ADDR).
	EnvPrefix string
	// Help gives the help text of keys declared in package configs (pkg/*), by struct type and
	// yaml name; keys declared in cmd/ carry a help tag instead.
	Help config.Help
	// JSON selects JSON log lines; text otherwise.
	JSON bool
	// Stderr receives the log lines; nil means os.Stderr.
	Stderr io.Writer
}

// Spec describes one subcommand.
type Spec struct {
	Use, Short, Long string
	// Args validates the positional arguments (default: none allowed).
	Args cobra.PositionalArgs
	// Config points to the struct whose keys are the subcommand's flags (defaults already set).
	Config any
	// Run runs the subcommand once its keys are loaded; ctx ends on SIGTERM or SIGINT.
	Run func(ctx context.Context, cmd *cobra.Command, args []string, log *slog.Logger) error
}

// process holds the keys every subcommand has.
type process struct {
	File     string `yaml:"config" help:"YAML config file (keys are the flag names)"`
	LogLevel string `yaml:"log-level" help:"debug, info, warn or error"`
}

// Command builds a subcommand. Its PreRunE loads the keys (defaults < --config file < environment
// < flags) and validates --log-level; RunE runs s.Run under a signal-cancelled context.
func (a App) Command(s Spec) *cobra.Command {
	p := &process{LogLevel: "info"}
	var log *slog.Logger
	cmd := &cobra.Command{Use: s.Use, Short: s.Short, Long: s.Long, Args: s.Args, SilenceUsage: true}
	if cmd.Args == nil {
		cmd.Args = cobra.NoArgs
	}
	must(config.Bind(cmd.Flags(), p, nil))
	must(config.Bind(cmd.Flags(), s.Config, a.Help))
	cmd.PreRunE = func(cmd *cobra.Command, _ []string) error {
		if err := config.Load(cmd.Flags(), p.File, a.EnvPrefix); err != nil {
			return err
		}
		var err error
		if log, err = a.NewLogger(p.LogLevel); err != nil {
			return err
		}
		log.Debug("config", config.Values(cmd.Flags())...)
		return nil
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
		defer stop()
		return s.Run(ctx, cmd, args, log)
	}
	return cmd
}

// must panics on a programming error in a config struct (caught by every binary's tests).
func must(err error) {
	if err != nil {
		panic(err)
	}
}

// ErrLogLevel is returned (wrapped) for a --log-level that is not debug, info, warn or error.
var ErrLogLevel = errors.New("invalid log-level")

// NewLogger returns a logger on stderr at level, or an error naming the valid levels.
func (a App) NewLogger(level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		return nil, fmt.Errorf("%w %q: use debug, info, warn or error", ErrLogLevel, level)
	}
	opts := &slog.HandlerOptions{Level: l}
	w := a.Stderr
	if w == nil {
		w = os.Stderr
	}
	if a.JSON {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

// Runtime is the Go runtime settings of a long-running command, embedded inline in its config
// (`yaml:",inline"`) so that every command has the same keys, flags and help.
type Runtime struct {
	MemoryMB  int `yaml:"memory-limit-mb" help:"Go soft memory limit in MiB (GC works harder near it); 0 = none"`
	GCPercent int `yaml:"gc-percent" help:"Go GC target percentage (GOGC); 0 = Go's default (100)"`
	MaxProcs  int `yaml:"max-procs" help:"threads running Go code at once (GOMAXPROCS); 0 = Go's default (every CPU); 1 where the pipeline and its servers share a few cores"`
}

// Apply sets the garbage collector (SetGC) and the threads running Go code (SetProcs).
func (r Runtime) Apply() error {
	SetGC(r.MemoryMB, r.GCPercent)
	return SetProcs(r.MaxProcs)
}

// SetGC tunes the garbage collector: the soft memory limit to limitMB MiB unless limitMB is 0
// or GOMEMLIMIT is set, and the GC target percentage to percent unless percent is 0 or GOGC is
// set. A higher percentage collects less often (less CPU per row in catch-up), the limit keeps
// the heap bounded whatever the percentage.
func SetGC(limitMB, percent int) {
	if limitMB > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(limitMB) << 20)
	}
	if percent > 0 && os.Getenv("GOGC") == "" {
		debug.SetGCPercent(percent)
	}
}

// SetProcs sets how many threads may run Go code at once (GOMAXPROCS) to n unless n is 0 or
// GOMAXPROCS is set; a negative n is an error. Go's default is every CPU (or the cgroup's CPU
// limit), right for a process that has the machine to itself. Where the tailer, the replayer,
// the broker and the copy share a few cores, a Go process's extra threads mostly spin looking
// for work, wake each other and run idle-time GC marking on CPU another stage needs: on 2 cores
// one thread per Go stage cut the tailer's CPU per row by a median 12% and the ClickHouse
// replayer's by 10% in 10 paired catch-ups (docs/benchmarks-notes.md, seventeenth session).
func SetProcs(n int) error {
	if n < 0 {
		return fmt.Errorf("max-procs must be 0 (Go's default: every CPU) or positive, got %d", n)
	}
	if n > 0 && os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(n)
	}
	return nil
}

// Main executes root and exits: 0 on success, code(err) on error (1 when code is nil), after
// printing the error prefixed with the binary's name.
func Main(root *cobra.Command, code func(error) int) {
	root.SilenceErrors = true
	if err := root.Execute(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", root.Name(), err)
		if code != nil {
			os.Exit(code(err))
		}
		os.Exit(1)
	}
}
