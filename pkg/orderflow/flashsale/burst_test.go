package flashsale

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// failingBuyer fails each request id its first fails times, then answers Won.
type failingBuyer struct {
	fails int
	mu    sync.Mutex
	seen  map[string]int
}

func (f *failingBuyer) Buy(_ context.Context, _, _ uint64, requestID string) (Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen[requestID]++
	if f.seen[requestID] <= f.fails {
		return "", errors.New("broker busy")
	}
	return Won, nil
}

func TestRunBurstRetries(t *testing.T) {
	cases := []struct {
		name                       string
		fails, retries             int
		wantWon, wantErr, wantSent int
	}{
		{"no failures", 0, 0, 4, 0, 0},
		{"one failure, default retries", 1, 0, 4, 0, 4},
		{"more failures than retries", 3, 2, 0, 4, 8},
		{"retries off", 1, -1, 0, 4, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := &failingBuyer{fails: c.fails, seen: map[string]int{}}
			st, err := RunBurst(context.Background(), b, Burst{SaleID: 1, Buyers: 4, Concurrency: 2, Retries: c.retries})
			if err != nil {
				t.Fatal(err)
			}
			if st.Results[Won] != c.wantWon || st.Errors != c.wantErr || st.Retried != c.wantSent || st.Requests != 4 {
				t.Fatalf("stats %+v; want %d won, %d errors, %d re-sent of 4 requests", st, c.wantWon, c.wantErr, c.wantSent)
			}
			if (c.fails > 0) != (st.FirstError == "broker busy") {
				t.Fatalf("first error %q with %d failures per request", st.FirstError, c.fails)
			}
		})
	}
}
