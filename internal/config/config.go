// Package config loads a component's configuration struct from, in increasing precedence, its
// defaults, an optional YAML file, environment variables and explicitly set command-line flags.
//
// Components bind their cobra/pflag flags directly onto the fields of their config struct and give
// the struct yaml tags equal to the flag names. Load then layers the sources without the component
// having to know which one set a value.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// ErrConfigFile is returned (wrapped) when the YAML file cannot be read or parsed.
var ErrConfigFile = errors.New("config file")

// Load layers configuration onto cfg, whose fields fs's flags are bound to.
//
// Precedence, lowest first: the values already in cfg (defaults), the YAML file at path (skipped
// when path is empty; unknown keys are an error so typos are caught), environment variables named
// envPrefix + the flag name upper-cased with '-' and '.' turned into '_' (for example
// FERRY_TAILER_SOURCE_ADDR for flag source-addr), and finally flags given on the command line.
func Load(fs *pflag.FlagSet, path, envPrefix string, cfg any) error {
	// Flags set on the command line must win over the file, but the file is decoded into the same
	// struct the flags write to: remember their values now and set them again afterwards.
	explicit := map[string]string{}
	fs.Visit(func(f *pflag.Flag) { explicit[f.Name] = valueString(f) })
	if path != "" {
		if err := loadYAML(path, cfg); err != nil {
			return err
		}
	}
	var firstErr error
	fs.VisitAll(func(f *pflag.Flag) {
		v, fromEnv := os.LookupEnv(EnvName(envPrefix, f.Name))
		if s, ok := explicit[f.Name]; ok {
			v, fromEnv = s, true
		}
		if !fromEnv {
			return
		}
		if err := setValue(f, v); err != nil && firstErr == nil {
			firstErr = fmt.Errorf("set %s from environment or flag: %w", f.Name, err)
		}
	})
	return firstErr
}

// EnvName is the environment variable that configures flag name under prefix.
func EnvName(prefix, name string) string {
	r := strings.NewReplacer("-", "_", ".", "_")
	return prefix + strings.ToUpper(r.Replace(name))
}

func loadYAML(path string, cfg any) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w: read %s: %v (pass an existing file with --config or omit it)", ErrConfigFile, path, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: parse %s: %v (keys are the flag names, see --help)", ErrConfigFile, path, err)
	}
	return nil
}

// valueString returns a flag's value in the form its Set method accepts.
func valueString(f *pflag.Flag) string {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return strings.Join(sv.GetSlice(), ",")
	}
	return f.Value.String()
}

// setValue sets a flag from text; slice flags are replaced, not appended to.
func setValue(f *pflag.Flag, v string) error {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		var items []string
		if v != "" {
			items = strings.Split(v, ",")
		}
		return sv.Replace(items)
	}
	return f.Value.Set(v)
}
