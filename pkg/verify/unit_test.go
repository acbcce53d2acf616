package verify

import (
	"sort"
	"strings"
	"testing"
)

func TestDiffHashes(t *testing.T) {
	kh := func(k string, h uint64) keyHash { return keyHash{Key: key{k}, Hash: h} }
	src := map[string]keyHash{"1": kh("1", 10), "2": kh("2", 20), "3": kh("3", 30)}
	cp := map[string]keyHash{"1": kh("1", 10), "2": kh("2", 21), "4": kh("4", 40)}
	var got []string
	for _, d := range diffHashes(src, cp) {
		got = append(got, string(d.Kind)+":"+d.Key[0])
	}
	sort.Strings(got)
	if want := "changed:2 extra:4 missing:3"; strings.Join(got, " ") != want {
		t.Fatalf("diffHashes = %v, want %s", got, want)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		mut  func(*Config)
		ok   bool
	}{
		{"default", func(*Config) {}, true},
		{"zero chunk", func(c *Config) { c.ChunkRows = 0 }, false},
		{"negative retries", func(c *Config) { c.Retries = -1 }, false},
		{"no parallelism", func(c *Config) { c.Parallel = 0 }, false},
	} {
		c := DefaultConfig()
		tc.mut(&c)
		if err := c.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: Validate() = %v", tc.name, err)
		}
	}
}
