// Package publish sends the order system's messages to RocketMQ in one of three send modes.
//
//   - sync (default): SendSync with client retries; the verdict (SEND_OK or an error) is known
//     before Publish returns. The pay flow and the flash-sale gate use it, because a lost
//     order-paid or flash-sale message would lose points, coupons, shipments or a sold unit.
//   - async: SendAsync; Publish returns after the hand-off and the verdict arrives later on the
//     done callback. Higher throughput, same guarantee as long as the caller acts on done.
//   - oneway: SendOneWay; no verdict at all (done gets nil after the write). Only for messages
//     that may be lost (metrics, hints); the order service refuses it for order-paid messages.
package publish

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Mode is a producer send mode.
type Mode string

// The send modes; see the package comment.
const (
	ModeSync   Mode = "sync"
	ModeAsync  Mode = "async"
	ModeOneWay Mode = "oneway"
)

// ErrConfig marks an invalid publisher configuration.
var ErrConfig = errors.New("invalid publisher config")

// Config configures a RocketMQ publisher.
type Config struct {
	NameServer string        `yaml:"name-server"`  // RocketMQ name server host:port
	Group      string        `yaml:"group"`        // producer group
	Mode       Mode          `yaml:"send-mode"`    // sync | async | oneway
	Retries    int           `yaml:"send-retries"` // client-side retries per send (sync/async)
	Timeout    time.Duration `yaml:"send-timeout"` // per-send timeout
	Instance   string        `yaml:"-"`            // client instance name; unique per producer in a process
}

// DefaultConfig returns a sync-mode publisher for the local stack's name server with 3 retries
// and a 3 s send timeout.
func DefaultConfig() Config {
	return Config{
		NameServer: "127.0.0.1:9876",
		Group:      "ferry_orderflow_producer",
		Mode:       ModeSync,
		Retries:    3,
		Timeout:    3 * time.Second,
	}
}

// Validate reports the first invalid field, naming the fix.
func (c Config) Validate() error {
	switch {
	case c.NameServer == "" || !strings.Contains(c.NameServer, ":"):
		return fmt.Errorf("%w: name server %q: set host:port, e.g. 127.0.0.1:9876", ErrConfig, c.NameServer)
	case c.Group == "":
		return fmt.Errorf("%w: empty producer group: set a group name", ErrConfig)
	case c.Mode != ModeSync && c.Mode != ModeAsync && c.Mode != ModeOneWay:
		return fmt.Errorf("%w: send mode %q: use sync, async or oneway", ErrConfig, c.Mode)
	case c.Retries < 0:
		return fmt.Errorf("%w: send retries %d: use 0 or more", ErrConfig, c.Retries)
	case c.Timeout <= 0:
		return fmt.Errorf("%w: send timeout %v: use a positive duration", ErrConfig, c.Timeout)
	}
	return nil
}
