// Package publishtest holds an in-memory publish.Publisher for the order flow's tests; no
// production binary links it.
package publishtest

import (
	"context"
	"errors"
	"sync"

	"github.com/ferry-cdc/ferry/pkg/orderflow/publish"
)

// ErrBrokerDown is what Publish returns while the publisher is set to fail.
var ErrBrokerDown = errors.New("broker down")

// Publisher is a synchronous publisher that stores what it is sent. It fails the next sends
// set with SetFail (returning ErrBrokerDown and never calling done), then stores every message
// and reports it stored (done(nil)).
type Publisher struct {
	mu     sync.Mutex
	fail   int
	stored []publish.Message
}

var _ publish.Publisher = (*Publisher)(nil)

// SetFail makes the next n sends fail (0: none).
func (p *Publisher) SetFail(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fail = n
}

// Publish stores msg and calls done(nil), or fails while sends are set to fail.
func (p *Publisher) Publish(_ context.Context, msg publish.Message, done func(error)) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail > 0 {
		p.fail--
		return ErrBrokerDown
	}
	p.stored = append(p.stored, msg)
	if done != nil {
		done(nil)
	}
	return nil
}

// Stored returns a copy of the messages stored so far, in send order.
func (p *Publisher) Stored() []publish.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]publish.Message(nil), p.stored...)
}

// Sent returns how many messages were stored.
func (p *Publisher) Sent() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.stored)
}

// Mode returns publish.ModeSync.
func (p *Publisher) Mode() publish.Mode { return publish.ModeSync }

// Shutdown does nothing.
func (p *Publisher) Shutdown() error { return nil }
