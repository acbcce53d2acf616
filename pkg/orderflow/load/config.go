// Package load is the order workload generator (`orderflow load`, and load.Run for tests and
// benchmarks of the tailer, replayer and demo). It drives the order service in-process (the fast
// path: same service functions, straight to MariaDB) or over HTTP, at a target rate that follows
// a shape (constant, evening curve, flash bursts), with a seeded operation mix, and stops after a
// duration or a request count.
package load

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// ErrConfig marks an invalid generator configuration.
var ErrConfig = errors.New("invalid load config")

// Shapes of the target rate over time.
const (
	ShapeConstant = "constant" // Rate all the time
	ShapeEvening  = "evening"  // from Rate up to Peak at mid-run and back (sin² curve)
	ShapeFlash    = "flash"    // Rate, with a FlashRate burst of FlashLen every FlashEvery
)

// Mix holds relative weights of the operations.
type Mix struct {
	Create int `yaml:"mix-create"`
	Pay    int `yaml:"mix-pay"`
	Cancel int `yaml:"mix-cancel"`
	Refund int `yaml:"mix-refund"`
	Query  int `yaml:"mix-query"`
}

func (m Mix) total() int { return m.Create + m.Pay + m.Cancel + m.Refund + m.Query }

// Config configures a run.
type Config struct {
	Shape      string        `yaml:"shape"`
	Rate       float64       `yaml:"rate"`        // requests/s; 0 = as fast as the workers go (closed loop)
	Peak       float64       `yaml:"peak"`        // evening peak requests/s
	FlashRate  float64       `yaml:"flash-rate"`  // flash burst requests/s
	FlashEvery time.Duration `yaml:"flash-every"` // flash burst period
	FlashLen   time.Duration `yaml:"flash-len"`   // flash burst length
	Duration   time.Duration `yaml:"duration"`    // stop after this long (0: no limit; then Count must be set)
	Count      int           `yaml:"count"`       // stop after this many requests (0: no limit)
	Seed       int64         `yaml:"seed"`        // operation choice and data are reproducible per seed
	Workers    int           `yaml:"workers"`     // concurrent requests
	Users      int           `yaml:"users"`       // user ids 1..Users
	Mix        Mix           `yaml:",inline"`
	Target     string        `yaml:"target"` // "db" (in-process service) or an http://host:port base URL
	Progress   time.Duration `yaml:"progress"`
	Out        io.Writer     `yaml:"-"` // progress lines; nil: none
}

// DefaultConfig is a constant 200 req/s for 10 s with 32 workers over 10,000 users; the mix
// creates 40%, pays 35%, cancels 5%, refunds 5% and queries 15%; the evening peak is 2,000 req/s
// and flash bursts run at 12,000 req/s for 1 s every 10 s.
func DefaultConfig() Config {
	return Config{Shape: ShapeConstant, Rate: 200, Peak: 2000, FlashRate: 12000, FlashEvery: 10 * time.Second,
		FlashLen: time.Second, Duration: 10 * time.Second, Seed: 1, Workers: 32, Users: 10000,
		Mix: Mix{Create: 40, Pay: 35, Cancel: 5, Refund: 5, Query: 15}, Target: "db", Progress: 2 * time.Second}
}

// Validate reports the first invalid field, naming the fix.
func (c Config) Validate() error {
	switch {
	case c.Shape != ShapeConstant && c.Shape != ShapeEvening && c.Shape != ShapeFlash:
		return fmt.Errorf("%w: shape %q: use constant, evening or flash", ErrConfig, c.Shape)
	case c.Rate < 0 || (c.Shape != ShapeConstant && c.Rate == 0):
		return fmt.Errorf("%w: rate %v: use >= 0 (0 = unlimited, constant shape only)", ErrConfig, c.Rate)
	case c.Shape == ShapeEvening && (c.Peak < c.Rate || c.Duration <= 0):
		return fmt.Errorf("%w: evening shape needs peak >= rate and a duration (the curve spans it)", ErrConfig)
	case c.Shape == ShapeFlash && (c.FlashRate <= 0 || c.FlashEvery <= 0 || c.FlashLen <= 0 || c.FlashLen > c.FlashEvery):
		return fmt.Errorf("%w: flash shape needs flash-rate > 0 and 0 < flash-len <= flash-every", ErrConfig)
	case c.Duration <= 0 && c.Count <= 0:
		return fmt.Errorf("%w: set a duration or a count, or the run never stops", ErrConfig)
	case c.Duration < 0 || c.Count < 0:
		return fmt.Errorf("%w: negative duration or count", ErrConfig)
	case c.Workers < 1 || c.Workers > 4096:
		return fmt.Errorf("%w: workers %d: use 1-4096", ErrConfig, c.Workers)
	case c.Users < 1:
		return fmt.Errorf("%w: users %d: use 1 or more", ErrConfig, c.Users)
	case c.Mix.total() <= 0 || c.Mix.Create <= 0:
		return fmt.Errorf("%w: the mix needs a positive create weight (every other operation needs orders)", ErrConfig)
	case c.Mix.Create < 0 || c.Mix.Pay < 0 || c.Mix.Cancel < 0 || c.Mix.Refund < 0 || c.Mix.Query < 0:
		return fmt.Errorf("%w: negative mix weight", ErrConfig)
	}
	return nil
}
