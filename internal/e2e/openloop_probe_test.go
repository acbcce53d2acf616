package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

const (
	olProbeTable = "ferry_lag_probe"
	olPollEvery  = 25 * time.Millisecond // copy poll interval
)

// probe states.
const (
	probePending uint8 = iota
	probeCommitted
	probeFailed
)

// probeLog records, per probe id k (1..n), when the writer's transaction that inserted it
// started and returned from COMMIT, and when each copy's poller first saw it.
type probeLog struct {
	mu      sync.Mutex
	state   []uint8
	started []time.Time
	acked   []time.Time            // COMMIT returned
	seen    map[string][]time.Time // sink -> first poll (start time) that saw k
	low     map[string]int         // sink -> every k <= low is seen or failed
	err     error
}

func newProbeLog(n int, sinks []string) *probeLog {
	pl := &probeLog{state: make([]uint8, n), started: make([]time.Time, n), acked: make([]time.Time, n),
		seen: map[string][]time.Time{}, low: map[string]int{}}
	for _, s := range sinks {
		pl.seen[s] = make([]time.Time, n)
	}
	return pl
}

// commit records that probe k (0: none) committed: its transaction started at start and COMMIT
// returned at at.
func (pl *probeLog) commit(k int, start, at time.Time) {
	if k <= 0 || k > len(pl.state) {
		return
	}
	pl.mu.Lock()
	defer pl.mu.Unlock()
	pl.state[k-1], pl.started[k-1], pl.acked[k-1] = probeCommitted, start, at
}

// fail records that probe k (0: none) will never exist: its transaction failed or never started.
func (pl *probeLog) fail(k int) {
	if k <= 0 || k > len(pl.state) {
		return
	}
	pl.mu.Lock()
	defer pl.mu.Unlock()
	pl.state[k-1] = probeFailed
}

// lowWater is the id below which the sink has seen every probe that exists.
func (pl *probeLog) lowWater(sink string) int {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return pl.low[sink]
}

// saw records that a poll of sink started at at saw probe ids, and advances its low water.
func (pl *probeLog) saw(sink string, ids []int, at time.Time) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	seen := pl.seen[sink]
	for _, k := range ids {
		if k >= 1 && k <= len(seen) && seen[k-1].IsZero() {
			seen[k-1] = at
		}
	}
	lo := pl.low[sink]
	for lo < len(seen) && (!seen[lo].IsZero() || pl.state[lo] == probeFailed) {
		lo++
	}
	pl.low[sink] = lo
}

// done reports whether every sink has seen every probe that exists (call after the writer ended).
func (pl *probeLog) done() (bool, error) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.err != nil {
		return false, pl.err
	}
	for _, lo := range pl.low {
		if lo < len(pl.state) {
			return false, nil
		}
	}
	return true, nil
}

// lagSample is the lag of one probe in one copy: its commit time and commit-to-visible lag.
type lagSample struct {
	at  time.Time
	lag time.Duration
}

// lags returns sink's lag samples in probe order: first poll that saw the probe minus the return
// of its COMMIT, clamped at 0 (a poll may start just before the COMMIT's reply arrives).
func (pl *probeLog) lags(sink string) []lagSample {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	var out []lagSample
	for k, st := range pl.state {
		if st == probeCommitted && !pl.seen[sink][k].IsZero() {
			out = append(out, lagSample{at: pl.acked[k], lag: max(pl.seen[sink][k].Sub(pl.acked[k]), 0)})
		}
	}
	return out
}

// txTimes returns the start-to-COMMIT-return time of every committed probe transaction: the
// source's own latency, the floor under any copy's lag.
func (pl *probeLog) txTimes() []time.Duration {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	var out []time.Duration
	for k, st := range pl.state {
		if st == probeCommitted {
			out = append(out, pl.acked[k].Sub(pl.started[k]))
		}
	}
	return out
}

// poll reads, every olPollEvery on its own connection, the probe ids above the low water that
// the sink's copy holds, until ctx ends; the first error stops it and is kept for done.
func (pl *probeLog) poll(ctx context.Context, conn *sql.Conn, sink string) {
	err := everyTick(ctx, olPollEvery, func(at time.Time) error {
		ids, err := probeIDsAbove(ctx, conn, pl.lowWater(sink))
		if err != nil {
			return fmt.Errorf("poll the %s copy's %s: %w", sink, olProbeTable, err)
		}
		pl.saw(sink, ids, at)
		return nil
	})
	if err != nil {
		pl.mu.Lock()
		pl.err = err
		pl.mu.Unlock()
	}
}

// probeIDsAbove lists the probe ids > lo in a copy (the copy tables of both sinks have the
// source's id column; probe rows are only ever inserted, so no FINAL or _deleted filter).
func probeIDsAbove(ctx context.Context, conn *sql.Conn, lo int) ([]int, error) {
	rows, err := conn.QueryContext(ctx, fmt.Sprintf("SELECT id FROM %s WHERE id > %d", olProbeTable, lo))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, int(id))
	}
	return ids, rows.Err()
}
