package load

import (
	"testing"
	"time"
)

func TestTargetRate(t *testing.T) {
	c := DefaultConfig()
	c.Duration = 100 * time.Second
	tests := []struct {
		shape string
		at    time.Duration
		want  float64
	}{
		{ShapeConstant, 30 * time.Second, 200},
		{ShapeEvening, 0, 200},
		{ShapeEvening, 50 * time.Second, 2000},
		{ShapeEvening, 25 * time.Second, 1100},
		{ShapeFlash, 500 * time.Millisecond, 12000},
		{ShapeFlash, 5 * time.Second, 200},
		{ShapeFlash, 10*time.Second + 100*time.Millisecond, 12000},
	}
	for _, tc := range tests {
		t.Run(tc.shape+"@"+tc.at.String(), func(t *testing.T) {
			c.Shape = tc.shape
			if got := c.targetRate(tc.at); got < tc.want-0.5 || got > tc.want+0.5 {
				t.Fatalf("rate = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		mut  func(*Config)
		ok   bool
	}{
		{"default", func(*Config) {}, true},
		{"closed loop by count", func(c *Config) { c.Rate, c.Duration, c.Count = 0, 0, 100 }, true},
		{"never stops", func(c *Config) { c.Duration, c.Count = 0, 0 }, false},
		{"bad shape", func(c *Config) { c.Shape = "spiky" }, false},
		{"evening below base", func(c *Config) { c.Shape, c.Peak = ShapeEvening, 10 }, false},
		{"flash len > period", func(c *Config) { c.Shape, c.FlashLen = ShapeFlash, time.Minute }, false},
		{"no creates", func(c *Config) { c.Mix.Create = 0 }, false},
		{"no workers", func(c *Config) { c.Workers = 0 }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mut(&c)
			if err := c.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
