// Package clitest checks a binary's command tree built with internal/cli: every flag of every
// command must be settable, with the same result, on the command line, in the --config YAML file
// and in the environment. It is test support; production binaries do not link it.
package clitest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ferry-cdc/ferry/internal/config"
)

// RoundTrip walks the command tree newRoot returns and, for every runnable command, gives each
// flag a value different from its default three ways - flags, a --config YAML file, environment
// variables envPrefix+KEY - each on a fresh tree, loads it (the command's PreRunE) and requires
// every flag to end with that value on all three paths.
func RoundTrip(t *testing.T, newRoot func() *cobra.Command, envPrefix string) {
	t.Helper()
	n := 0
	for _, path := range Leaves(newRoot()) {
		t.Run(strings.Join(path, "_"), func(t *testing.T) {
			want := nonDefaults(t, find(t, newRoot(), path))
			n += len(want)
			byFlag := load(t, newRoot, path, flagArgs(want), nil)
			byFile := load(t, newRoot, path, []string{"--config=" + writeYAML(t, want)}, nil)
			byEnv := load(t, newRoot, path, nil, func() {
				for k, v := range want {
					t.Setenv(config.EnvName(envPrefix, k), v)
				}
			})
			for k, v := range want {
				if byFlag[k] != v || byFile[k] != v || byEnv[k] != v {
					t.Errorf("--%s: want %q; by flag %q, by --config %q, by env %s %q",
						k, v, byFlag[k], byFile[k], config.EnvName(envPrefix, k), byEnv[k])
				}
			}
		})
	}
	if n == 0 {
		t.Fatal("no flags found: the walk is broken")
	}
}

// Leaves returns the paths (subcommand names below root) of every runnable command.
func Leaves(root *cobra.Command) [][]string {
	var out [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		if c.Runnable() && c != root {
			out = append(out, path)
		}
		for _, sub := range c.Commands() {
			if sub.Name() != "help" && sub.Name() != "completion" {
				walk(sub, append(append([]string(nil), path...), sub.Name()))
			}
		}
	}
	walk(root, nil)
	return out
}

func find(t *testing.T, root *cobra.Command, path []string) *cobra.Command {
	t.Helper()
	c, rest, err := root.Find(path)
	if err != nil || len(rest) > 0 {
		t.Fatalf("find %v: %v (rest %v)", path, err, rest)
	}
	return c
}

// load builds a fresh tree, parses args on the command at path, runs setup (environment) and
// loads the keys; it returns every flag's value.
func load(t *testing.T, newRoot func() *cobra.Command, path, args []string, setup func()) map[string]string {
	t.Helper()
	c := find(t, newRoot(), path)
	if err := c.ParseFlags(args); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	if setup != nil {
		setup()
	}
	if c.PreRunE == nil {
		t.Fatalf("%s has no PreRunE: build it with cli.App.Command", c.CommandPath())
	}
	if err := c.PreRunE(c, nil); err != nil {
		t.Fatalf("%s: load: %v", c.CommandPath(), err)
	}
	got := map[string]string{}
	c.Flags().VisitAll(func(f *pflag.Flag) { got[f.Name] = text(f) })
	return got
}

// nonDefaults picks for every flag but help and config a value different from its default.
func nonDefaults(t *testing.T, c *cobra.Command) map[string]string {
	t.Helper()
	out := map[string]string{}
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name == "help" || f.Name == "config" {
			return
		}
		v, err := other(f)
		if err != nil {
			t.Errorf("--%s: %v", f.Name, err)
			return
		}
		if v == text(f) {
			t.Errorf("--%s: picked its default %q", f.Name, v)
		}
		out[f.Name] = v
	})
	return out
}

// other returns a valid value of f's type that differs from its current (default) value.
func other(f *pflag.Flag) (string, error) {
	def := text(f)
	switch typ := f.Value.Type(); {
	case f.Name == "log-level":
		return map[bool]string{true: "warn", false: "error"}[def != "warn"], nil
	case typ == "string":
		return "v-" + f.Name, nil
	case typ == "bool":
		b, _ := strconv.ParseBool(def)
		return strconv.FormatBool(!b), nil
	case typ == "duration":
		d, err := time.ParseDuration(def)
		return (d + 1500*time.Millisecond).String(), err
	case typ == "float" || typ == "float64" || typ == "float32":
		x, err := strconv.ParseFloat(def, 64)
		return strconv.FormatFloat(x+1.5, 'g', -1, 64), err
	case strings.HasPrefix(typ, "int"):
		x, err := strconv.ParseInt(def, 0, 64)
		return strconv.FormatInt(x+1, 10), err
	case strings.HasPrefix(typ, "uint"):
		x, err := strconv.ParseUint(def, 0, 64)
		return strconv.FormatUint(x+1, 10), err
	case typ == "strings" || typ == "stringSlice":
		return "a-" + f.Name + ",b", nil
	}
	return "", fmt.Errorf("flag type %s is not covered by the round-trip test", f.Value.Type())
}

// text is a flag's value in the form Set accepts (lists comma-joined).
func text(f *pflag.Flag) string {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return strings.Join(sv.GetSlice(), ",")
	}
	return f.Value.String()
}

func flagArgs(want map[string]string) []string {
	var args []string
	for k, v := range want {
		args = append(args, "--"+k+"="+v)
	}
	return args
}

// writeYAML writes want as a YAML file: lists as flow sequences, everything else as plain scalars.
func writeYAML(t *testing.T, want map[string]string) string {
	t.Helper()
	var b strings.Builder
	for k, v := range want {
		if strings.HasPrefix(v, "a-") && strings.Contains(v, ",") {
			v = "[" + strings.ReplaceAll(v, ",", ", ") + "]"
		}
		fmt.Fprintf(&b, "%s: %s\n", k, v)
	}
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
