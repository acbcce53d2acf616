package config

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/spf13/pflag"
)

// ErrBind is returned (wrapped) when a config struct cannot be turned into flags.
var ErrBind = errors.New("bind config keys")

var durationType = reflect.TypeFor[time.Duration]()

// Help gives the help text of the keys of structs declared outside cmd/ (package configs whose
// fields cmd/ does not own): Help[struct type][yaml name]. Fields it leaves out are not keys.
type Help map[reflect.Type]map[string]string

// Bind declares one flag on fs per key of cfg, a pointer to a struct. A key is a field with a yaml
// name and help text: the field's `help` tag, or help[its struct type][name]. Fields without help
// are not keys. Structs
// tagged `yaml:",inline"` are walked. Supported kinds: string, bool, every int and uint,
// time.Duration, float and []string. A help entry naming no field, a key declared twice or an
// unsupported kind is an error, so a typo cannot silently drop a key.
func Bind(fs *pflag.FlagSet, cfg any, help Help) error {
	v := reflect.ValueOf(cfg)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("%w: want a pointer to a struct, got %T", ErrBind, cfg)
	}
	used := map[reflect.Type]map[string]bool{}
	if err := bindStruct(fs, v.Elem(), help, used); err != nil {
		return err
	}
	for t, keys := range help {
		for k := range keys {
			if used[t] != nil && !used[t][k] { // a struct of type t was walked but has no key k
				return fmt.Errorf("%w: help for %q, which is no yaml key of %s in %T", ErrBind, k, t, cfg)
			}
		}
	}
	return nil
}

func bindStruct(fs *pflag.FlagSet, v reflect.Value, help Help, used map[reflect.Type]map[string]bool) error {
	t := v.Type()
	if used[t] == nil {
		used[t] = map[string]bool{}
	}
	for i := range t.NumField() {
		sf := t.Field(i)
		name, opts, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		f := settable(v.Field(i))
		if slices.Contains(strings.Split(opts, ","), "inline") && f.Kind() == reflect.Struct {
			if err := bindStruct(fs, f, help, used); err != nil {
				return err
			}
			continue
		}
		h, ok := sf.Tag.Lookup("help")
		if !ok {
			h, ok = help[t][name]
		}
		if name == "" || name == "-" || !ok {
			continue
		}
		if fs.Lookup(name) != nil {
			return fmt.Errorf("%w: key %q declared twice (%s.%s)", ErrBind, name, t, sf.Name)
		}
		val, err := newValue(f)
		if err != nil {
			return fmt.Errorf("%w: key %q (%s.%s): %v", ErrBind, name, t, sf.Name, err)
		}
		used[t][name] = true
		fl := fs.VarPF(val, name, "", h)
		if f.Kind() == reflect.Bool {
			fl.NoOptDefVal = "true"
		}
	}
	return nil
}

// settable returns f writable even when it was reached through an unexported embedded struct
// (a command's private config struct embedding another); f is always addressable here.
func settable(f reflect.Value) reflect.Value {
	if f.CanSet() {
		return f
	}
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
}

// value is a pflag.Value over one struct field.
type value struct {
	v       reflect.Value
	changed bool // a slice's first Set replaces the default, later ones append
}

// listValue is a []string key; it also implements pflag.SliceValue.
type listValue struct{ *value }

func newValue(f reflect.Value) (pflag.Value, error) {
	switch f.Kind() {
	case reflect.Bool:
		return boolValue{&value{v: f}}, nil
	case reflect.String, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return &value{v: f}, nil
	case reflect.Slice:
		if f.Type().Elem().Kind() == reflect.String {
			return listValue{&value{v: f}}, nil
		}
	}
	return nil, fmt.Errorf("unsupported type %s", f.Type())
}

// Type names the kind as pflag does, for --help.
func (x *value) Type() string {
	switch {
	case x.v.Type() == durationType:
		return "duration"
	case x.v.Kind() == reflect.Slice:
		return "strings"
	case x.v.Kind() == reflect.Float32 || x.v.Kind() == reflect.Float64:
		return "float"
	}
	return x.v.Kind().String()
}

// boolValue is a bool key, which may be given as a bare --flag.
type boolValue struct{ *value }

// IsBoolFlag tells pflag that --flag alone means true.
func (boolValue) IsBoolFlag() bool { return true }

func (x *value) String() string {
	switch {
	case x.v.Type() == durationType && x.v.Int() == 0:
		return "0" // shown as no default in --help
	case x.v.Type() == durationType:
		return time.Duration(x.v.Int()).String()
	case x.v.Kind() == reflect.Slice && x.v.Len() == 0:
		return "" // shown as no default in --help
	case x.v.Kind() == reflect.Slice:
		return "[" + strings.Join(listValue{x}.GetSlice(), ",") + "]"
	}
	return fmt.Sprint(x.v.Interface())
}

func (x *value) Set(s string) error {
	switch k := x.v.Kind(); {
	case x.v.Type() == durationType:
		return set(x.v.SetInt, func() (int64, error) { d, err := time.ParseDuration(s); return int64(d), err })
	case k == reflect.String:
		x.v.SetString(s)
	case k == reflect.Bool:
		return set(x.v.SetBool, func() (bool, error) { return strconv.ParseBool(s) })
	case k == reflect.Float32 || k == reflect.Float64:
		return set(x.v.SetFloat, func() (float64, error) { return strconv.ParseFloat(s, x.v.Type().Bits()) })
	case k >= reflect.Int && k <= reflect.Int64:
		return set(x.v.SetInt, func() (int64, error) { return strconv.ParseInt(s, 0, x.v.Type().Bits()) })
	case k >= reflect.Uint && k <= reflect.Uint64:
		return set(x.v.SetUint, func() (uint64, error) { return strconv.ParseUint(s, 0, x.v.Type().Bits()) })
	case k == reflect.Slice:
		l := listValue{x}
		items := splitList(s)
		if x.changed {
			items = append(l.GetSlice(), items...)
		}
		x.changed = true
		return l.Replace(items)
	}
	return nil
}

// set stores what parse returns, or nothing when it fails.
func set[T any](store func(T), parse func() (T, error)) error {
	v, err := parse()
	if err != nil {
		return err
	}
	store(v)
	return nil
}

// splitList splits a comma-separated list; "" is the empty list.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// Append adds one element to a []string key (pflag.SliceValue).
func (x listValue) Append(s string) error { return x.Replace(append(x.GetSlice(), s)) }

// Replace sets a []string key to items (pflag.SliceValue).
func (x listValue) Replace(items []string) error {
	s := reflect.MakeSlice(x.v.Type(), len(items), len(items))
	for i, it := range items {
		s.Index(i).SetString(it)
	}
	x.v.Set(s)
	return nil
}

// GetSlice returns a []string key's elements (pflag.SliceValue).
func (x listValue) GetSlice() []string {
	out := make([]string, x.v.Len())
	for i := range out {
		out[i] = x.v.Index(i).String()
	}
	return out
}
