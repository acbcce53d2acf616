package verify

import (
	"context"
	"fmt"
	"time"
)

// recheckBatch is the number of keys looked up per query when re-checking.
const recheckBatch = 500

// recheck compares the differing keys again, up to attempts times, waiting RetryInterval before
// each attempt, and keeps only keys that still differ. This is the live-source tolerance: a row
// written at the source shortly before its chunk was read may not have reached the copy yet;
// it differs at the first comparison but not after the replayer caught up.
func (t *tableRun) recheck(ctx context.Context, attempts int) error {
	for i := 0; i < attempts && len(t.res.Diffs) > 0; i++ {
		if err := sleep(ctx, t.v.cfg.RetryInterval); err != nil {
			return err
		}
		still, err := t.compareKeys(ctx, t.res.Diffs)
		if err != nil {
			return err
		}
		t.v.log.Debug("re-checked differing keys", "table", t.res.Table.String(), "attempt", i+1, "before", len(t.res.Diffs), "after", len(still))
		t.res.Diffs = still
	}
	return nil
}

// compareKeys looks up the keys of diffs on both sides and returns those that differ now.
func (t *tableRun) compareKeys(ctx context.Context, diffs []KeyDiff) ([]KeyDiff, error) {
	var out []KeyDiff
	for start := 0; start < len(diffs); start += recheckBatch {
		end := min(start+recheckBatch, len(diffs))
		keys := make([]key, 0, end-start)
		for _, d := range diffs[start:end] {
			keys = append(keys, key(d.Key))
		}
		sh, err := t.src.KeyHashes(ctx, keys)
		if err != nil {
			return nil, err
		}
		ch, err := t.cp.KeyHashes(ctx, keys)
		if err != nil {
			return nil, err
		}
		out = append(out, diffHashes(sh, ch)...)
	}
	return out, nil
}

// repair hands the differing keys to the Repairer, then re-checks until they match or
// RetryInterval * (Retries+1) * 5 has passed (the replayer has to apply the re-snapshot).
func (t *tableRun) repair(ctx context.Context) error {
	keys := make([][]string, len(t.res.Diffs))
	for i, d := range t.res.Diffs {
		keys[i] = make([]string, len(d.Key))
		for j, v := range d.Key {
			ev, err := eventValue(t.keyCols[j], v)
			if err != nil {
				return fmt.Errorf("repair %s: %w", t.res.Table, err)
			}
			keys[i][j] = ev
		}
	}
	if err := t.v.repairer.Repair(ctx, t.res.Table, keys); err != nil {
		return fmt.Errorf("repair %d keys of %s: %w", len(keys), t.res.Table, err)
	}
	t.res.Repaired = len(keys)
	t.v.metrics.repaired(t.res.Table, t.res.Sink, len(keys))
	deadline := time.Now().Add(t.v.repairWait())
	for len(t.res.Diffs) > 0 && time.Now().Before(deadline) {
		if err := t.recheck(ctx, 1); err != nil {
			return err
		}
	}
	return nil
}

func (v *Verifier) repairWait() time.Duration {
	w := v.cfg.RetryInterval * time.Duration(v.cfg.Retries+1) * 5
	return max(w, 10*time.Second)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}
