package sinktest

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// Deliver turns a history into an adversarial delivery: every row at least once, about a fifth
// duplicated, a few earlier ranges replayed, neighbours swapped (reordering across keys and
// within a key), then cut into batches of 1..maxBatch rows.
func Deliver(rng *rand.Rand, rows []sink.Row, maxBatch int) []*sink.Batch {
	seq := append([]sink.Row(nil), rows...)
	for range len(rows) / 5 { // duplicates at random later places
		i := rng.IntN(len(rows))
		j := i + rng.IntN(len(seq)-i+1)
		seq = append(seq[:j], append([]sink.Row{rows[i]}, seq[j:]...)...)
	}
	for range 3 { // replays of earlier ranges
		a := rng.IntN(len(rows))
		b := a + rng.IntN(min(len(rows)-a, 200)+1)
		seq = append(seq, rows[a:b]...)
	}
	for range len(seq) / 2 { // local reordering
		i := rng.IntN(len(seq))
		j := min(len(seq)-1, i+1+rng.IntN(8))
		seq[i], seq[j] = seq[j], seq[i]
	}
	var out []*sink.Batch
	for len(seq) > 0 {
		n := min(len(seq), 1+rng.IntN(maxBatch))
		out = append(out, &sink.Batch{Rows: seq[:n:n]})
		seq = seq[n:]
	}
	return out
}

// Diff compares the expected final state with the rows read from a copy (live rows only, by
// Key) and describes up to 5 differences; "" means equal.
func Diff(t *sink.Table, want, got map[string][]*string) string {
	var diffs []string
	keys := make([]string, 0, len(want)+len(got))
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		w, inW := want[k]
		g, inG := got[k]
		switch {
		case !inW:
			diffs = append(diffs, fmt.Sprintf("key %q: in copy but deleted at source", k))
		case !inG:
			diffs = append(diffs, fmt.Sprintf("key %q: missing in copy", k))
		default:
			for i, c := range t.Columns {
				if show(w[i]) != show(g[i]) {
					diffs = append(diffs, fmt.Sprintf("key %q column %s: want %s, got %s", k, c.Name, show(w[i]), show(g[i])))
				}
			}
		}
	}
	if len(diffs) == 0 {
		return ""
	}
	return fmt.Sprintf("%d differences, first: %s", len(diffs), strings.Join(diffs[:min(5, len(diffs))], "; "))
}

func show(v *string) string {
	if v == nil {
		return "NULL"
	}
	return fmt.Sprintf("%q", *v)
}
