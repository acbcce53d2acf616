package replayer

import (
	"context"
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
)

// barrier makes a DDL wait for every queue this process owns (docs/design.md section 5).
//
// The tailer publishes each DDL to every queue. A queue that reaches its copy of version V
// (with every earlier row of the queue durable) arrives at V and holds its later messages.
// When every currently owned queue has arrived at V or a later DDL, one of them applies V
// once; then all of them go on. A version the sink already applied (a restart, another
// process, or a queue rebalanced here after V) does not wait at all. The owned set is
// re-read while waiting, so a rebalance during a barrier recomputes it. A DDL that says which
// queues the tailer sent it to (ferry.queues) waits for those only: queues added to the topic
// while the tailer runs get no copy until it restarts, and waiting for them would never end.
//
// Limitation: the barrier is per process. Replayers of one group in several processes own
// different queues and do not wait for each other (docs/replayer.md).
type barrier struct {
	owned func() []primitive.MessageQueue // queues this process owns now
	poll  time.Duration                   // re-check interval while waiting

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every change
	at       map[primitive.MessageQueue]uint64
	applied  map[uint64]bool
	order    []uint64 // applied versions, oldest first (bounds the map)
	applying bool
}

func newBarrier(owned func() []primitive.MessageQueue) *barrier {
	return &barrier{owned: owned, poll: 100 * time.Millisecond, changed: make(chan struct{}),
		at: map[primitive.MessageQueue]uint64{}, applied: map[uint64]bool{}}
}

// ddlStep is what the barrier needs of one DDL copy.
type ddlStep struct {
	queue   primitive.MessageQueue
	version uint64
	queues  int                  // the DDL's copies went to queues 0..queues-1 (0: every owned queue)
	apply   func() error         // apply the DDL (called once per version in this process)
	inSink  func() (bool, error) // whether the sink already applied the version
	dropped func() bool          // the queue was rebalanced away
}

// wait returns nil once step's version is applied (by this call or another queue's), or the
// error of applying it, errDropped, or ctx's error.
func (b *barrier) wait(ctx context.Context, s ddlStep) error {
	if b.isApplied(s.version) {
		return nil
	}
	if done, err := s.inSink(); err == nil && done {
		b.markApplied(s.version)
		return nil
	}
	b.mu.Lock()
	b.at[s.queue] = s.version
	b.signalLocked()
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.at, s.queue)
		b.signalLocked()
		b.mu.Unlock()
	}()
	tick := time.NewTicker(b.poll)
	defer tick.Stop()
	for n := 1; ; n++ {
		owned := b.owned()
		b.mu.Lock()
		if b.applied[s.version] {
			b.mu.Unlock()
			return nil
		}
		if !b.applying && b.allArrivedLocked(s, owned) {
			b.applying = true
			b.mu.Unlock()
			return b.run(s)
		}
		ch := b.changed
		b.mu.Unlock()
		select {
		case <-ch:
		case <-tick.C:
		case <-ctx.Done():
			return ctx.Err()
		}
		if s.dropped() {
			return errDropped
		}
		if n%20 == 0 { // another process may have applied it meanwhile
			if done, err := s.inSink(); err == nil && done {
				b.markApplied(s.version)
				return nil
			}
		}
	}
}

// run applies the version as the one applier and releases the waiters. The version is marked
// applied under the same lock that ends applying: marked after it, a waiter woken in between
// saw neither and applied the version a second time (TestBarrierUnit, 1 CI run in many).
func (b *barrier) run(s ddlStep) error {
	err := s.apply()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.applying = false
	if err == nil {
		b.markAppliedLocked(s.version)
	}
	b.signalLocked()
	return err
}

// allArrivedLocked reports whether every owned queue that got a copy of s's DDL waits at its
// version or a later DDL; s's own queue must be among them (an empty or stale owned set never
// releases a DDL).
func (b *barrier) allArrivedLocked(s ddlStep, owned []primitive.MessageQueue) bool {
	mine := false
	for _, q := range owned {
		if s.queues > 0 && q.QueueId >= s.queues {
			continue // added after the tailer started: no copy of this DDL will come
		}
		mine = mine || q == s.queue
		if at, ok := b.at[q]; !ok || at < s.version {
			return false
		}
	}
	return mine
}

func (b *barrier) isApplied(v uint64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.applied[v]
}

func (b *barrier) markApplied(v uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.markAppliedLocked(v)
	b.signalLocked()
}

// markAppliedLocked records v as applied (bounded to the last 4096 versions); the caller holds
// mu and signals.
func (b *barrier) markAppliedLocked(v uint64) {
	if !b.applied[v] {
		b.applied[v] = true
		b.order = append(b.order, v)
		if len(b.order) > 4096 {
			delete(b.applied, b.order[0])
			b.order = b.order[1:]
		}
	}
}

func (b *barrier) signalLocked() {
	close(b.changed)
	b.changed = make(chan struct{})
}
