// Package config loads a command's configuration from, in increasing precedence, its defaults,
// an optional YAML file, environment variables and explicitly set command-line flags.
//
// Every key is declared once, as a field of the command's config struct: its yaml tag is the key
// (flag --key, YAML key, environment variable PREFIX_KEY) and its help tag the flag's help. Bind
// derives the flags from the struct; Load reads the YAML file and the environment through those
// same flags, so a flag that exists is a YAML key and an environment variable by construction.
//
// How to add a key (for example to the tailer):
//  1. Add the field to the config struct with a yaml and a help tag, e.g. field Lanes int with
//     tags yaml:"lanes" help:"publisher lanes"
//     (in cmd/<binary>/ for command-level keys; for a pkg/ Config field, add its help text to the
//     binary's help map instead, keyed by the yaml name).
//  2. Set its default where the struct's defaults are built (DefaultConfig or the command's).
//  3. Nothing else: --lanes, `lanes:` in YAML and FERRY_TAILER_LANES now work, and
//     cmd/<binary>'s round-trip test checks them. Do not call fs.IntVar by hand.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// ErrConfigFile is returned (wrapped) when the YAML file cannot be read or parsed.
var ErrConfigFile = errors.New("config file")

// Load sets the flags of fs (and so the config fields they are bound to) from, lowest precedence
// first: the values already there (defaults), the YAML file at path (skipped when path is empty;
// keys are flag names, an unknown key is an error so typos are caught), environment variables
// named envPrefix + the flag name upper-cased with '-' and '.' turned into '_' (for example
// FERRY_TAILER_SOURCE_ADDR for flag source-addr), and finally the flags given on the command line.
func Load(fs *pflag.FlagSet, path, envPrefix string) error {
	// The file and the environment write to the same fields as the flags: remember the flags given
	// on the command line and set them again last.
	explicit := map[string]string{}
	fs.Visit(func(f *pflag.Flag) { explicit[f.Name] = valueString(f) })
	if path != "" {
		if err := loadYAML(fs, path); err != nil {
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
			firstErr = fmt.Errorf("set %s from environment (%s) or flag: %w", f.Name, EnvName(envPrefix, f.Name), err)
		}
	})
	return firstErr
}

// EnvName is the environment variable that configures flag name under prefix.
func EnvName(prefix, name string) string {
	r := strings.NewReplacer("-", "_", ".", "_")
	return prefix + strings.ToUpper(r.Replace(name))
}

// loadYAML sets fs's flags from the top-level mapping of the YAML file at path.
func loadYAML(fs *pflag.FlagSet, path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w: read %s: %v (pass an existing file with --config or omit it)", ErrConfigFile, path, err)
	}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(raw)).Decode(&doc); err != nil && len(bytes.TrimSpace(raw)) > 0 {
		return fmt.Errorf("%w: parse %s: %v", ErrConfigFile, path, err)
	}
	if len(doc.Content) == 0 {
		return nil // empty file
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return fmt.Errorf("%w: %s: want a mapping of key: value at the top (keys are the flag names, see --help)", ErrConfigFile, path)
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if err := setFromNode(fs, k.Value, v); err != nil {
			return fmt.Errorf("%w: %s line %d: %v", ErrConfigFile, path, k.Line, err)
		}
	}
	return nil
}

// setFromNode sets flag key from a YAML scalar, or from a sequence of scalars for a list key.
func setFromNode(fs *pflag.FlagSet, key string, v *yaml.Node) error {
	f := fs.Lookup(key)
	if f == nil || key == "config" {
		return fmt.Errorf("unknown key %q (keys are the flag names of this command, see --help)", key)
	}
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return nil
		}
		if err := setValue(f, v.Value); err != nil {
			return fmt.Errorf("%s: %q: %w", key, v.Value, err)
		}
		return nil
	case yaml.SequenceNode:
		sv, ok := f.Value.(pflag.SliceValue)
		if !ok {
			return fmt.Errorf("%s: a list is given but the key takes one %s", key, f.Value.Type())
		}
		items := make([]string, 0, len(v.Content))
		for _, it := range v.Content {
			if it.Kind != yaml.ScalarNode {
				return fmt.Errorf("%s: list items must be plain values", key)
			}
			items = append(items, it.Value)
		}
		return sv.Replace(items)
	}
	return fmt.Errorf("%s: want a value or a list, not a nested mapping", key)
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
		return sv.Replace(splitList(v))
	}
	return f.Value.Set(v)
}

// IsSecret reports whether a key holds a secret (a password, or a DSN, which embeds one).
func IsSecret(key string) bool {
	return strings.Contains(key, "password") || strings.Contains(key, "dsn") || strings.Contains(key, "secret")
}

// Values returns every flag of fs as key-value pairs for a log line, secrets redacted.
func Values(fs *pflag.FlagSet) []any {
	var kv []any
	fs.VisitAll(func(f *pflag.Flag) {
		v := valueString(f)
		if IsSecret(f.Name) && v != "" {
			v = "[redacted]"
		}
		kv = append(kv, f.Name, v)
	})
	return kv
}
