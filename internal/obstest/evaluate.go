package obstest

import (
	"context"
	"time"
)

// Evaluation is the outcome of one query against Prometheus.
type Evaluation struct {
	Query  Query
	Expr   string // after variable substitution
	Series int    // samples returned
	Err    error  // substitution or query error (a parse error is permanent)
}

// EvaluateUntilData evaluates every query (after substituting values) and re-evaluates the ones
// that returned no data (fewer than Query.Want series, when set) every interval until each has
// data or timeout passes; optional queries (optional may be nil) are evaluated alongside but not
// waited for. Queries that fail to substitute or that Prometheus rejects are not retried. The
// result is in input order.
func EvaluateUntilData(ctx context.Context, p Prom, qs []Query, values map[string]string, timeout, interval time.Duration, optional func(Query) bool) []Evaluation {
	out := make([]Evaluation, len(qs))
	pending := map[int]bool{}
	for i, q := range qs {
		out[i].Query = q
		out[i].Expr, out[i].Err = Substitute(q.Expr, values)
		if out[i].Err == nil {
			pending[i] = true
		}
	}
	deadline := time.Now().Add(timeout)
	for len(pending) > 0 {
		for i := range pending {
			samples, err := p.Query(ctx, out[i].Expr)
			out[i].Series, out[i].Err = len(samples), err
			if err != nil || len(samples) >= max(1, out[i].Query.Want) {
				delete(pending, i)
			}
		}
		if !anyRequired(qs, pending, optional) || time.Now().Add(interval).After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return out
		case <-time.After(interval):
		}
	}
	return out
}

func anyRequired(qs []Query, pending map[int]bool, optional func(Query) bool) bool {
	for i := range pending {
		if optional == nil || !optional(qs[i]) {
			return true
		}
	}
	return false
}
