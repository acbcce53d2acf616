package publish

import (
	"errors"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		mut  func(*Config)
		ok   bool
	}{
		{"default", func(*Config) {}, true},
		{"async", func(c *Config) { c.Mode = ModeAsync }, true},
		{"oneway", func(c *Config) { c.Mode = ModeOneWay }, true},
		{"bad mode", func(c *Config) { c.Mode = "fast" }, false},
		{"no port", func(c *Config) { c.NameServer = "localhost" }, false},
		{"no group", func(c *Config) { c.Group = "" }, false},
		{"negative retries", func(c *Config) { c.Retries = -1 }, false},
		{"zero timeout", func(c *Config) { c.Timeout = 0 }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mut(&c)
			err := c.Validate()
			if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrConfig)) {
				t.Fatalf("Validate() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
