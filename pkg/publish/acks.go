package publish

import (
	"sync"

	"github.com/ferry-cdc/ferry/pkg/checkpoint"
)

// ackTracker numbers every sealed message (seq 1, 2, ...) and knows the highest n such that every
// message with seq <= n got SEND_OK. Boundaries (transaction ends) are registered with the number
// of messages issued at the moment every row before the boundary was sealed; a boundary is safe to
// checkpoint once all those messages are acknowledged (docs/design.md section 3).
type ackTracker struct {
	mu         sync.Mutex
	issued     uint64              // last seq handed out
	through    uint64              // every seq <= through is acknowledged
	acked      map[uint64]struct{} // acknowledged seqs above through
	candidates []candidate         // registered boundaries, in binlog order
	safe       *checkpoint.State   // highest safe boundary not yet taken by takeSafe
	changed    chan struct{}       // signalled when through moves
}

type candidate struct {
	need  uint64
	state checkpoint.State
}

func newAckTracker() *ackTracker {
	return &ackTracker{acked: map[uint64]struct{}{}, changed: make(chan struct{}, 1)}
}

// next hands out the next sequence number.
func (a *ackTracker) next() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.issued++
	return a.issued
}

// ack records SEND_OK for seq.
func (a *ackTracker) ack(seq uint64) {
	a.mu.Lock()
	a.acked[seq] = struct{}{}
	moved := false
	for {
		if _, ok := a.acked[a.through+1]; !ok {
			break
		}
		delete(a.acked, a.through+1)
		a.through++
		moved = true
	}
	if moved {
		a.promote()
	}
	a.mu.Unlock()
	if moved {
		select {
		case a.changed <- struct{}{}:
		default:
		}
	}
}

// boundary registers s, reached after every message issued so far.
func (a *ackTracker) boundary(s checkpoint.State) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.candidates = append(a.candidates, candidate{need: a.issued, state: s})
	a.promote()
}

func (a *ackTracker) promote() {
	i := 0
	for i < len(a.candidates) && a.candidates[i].need <= a.through {
		st := a.candidates[i].state
		a.safe = &st
		i++
	}
	a.candidates = a.candidates[i:]
}

// takeSafe returns the highest safe boundary registered since the last call, or nil.
func (a *ackTracker) takeSafe() *checkpoint.State {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.safe
	a.safe = nil
	return s
}

// restore puts s back as the safe boundary unless a newer one arrived (its write failed).
func (a *ackTracker) restore(s *checkpoint.State) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.safe == nil {
		a.safe = s
	}
}

// pending reports the number of issued but unacknowledged messages.
func (a *ackTracker) pending() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.issued - a.through
}
