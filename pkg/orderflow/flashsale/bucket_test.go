package flashsale

import (
	"context"
	dto "github.com/prometheus/client_model/go"
	"testing"
	"time"
)

func TestBucketRate(t *testing.T) {
	tests := []struct {
		rate  float64
		burst int
		n     int
	}{
		{rate: 200, burst: 1, n: 41},
		{rate: 100, burst: 5, n: 21},
	}
	for _, tc := range tests {
		t.Run("", func(t *testing.T) {
			b := NewBucket(tc.rate, tc.burst)
			start := time.Now()
			for i := 0; i < tc.n; i++ {
				if err := b.Wait(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			// n tokens need at least (n-1)/rate seconds: the bucket starts with one token.
			min := time.Duration(float64(tc.n-1) / tc.rate * float64(time.Second))
			if el := time.Since(start); el < min*95/100 {
				t.Fatalf("%d tokens in %v, want >= %v at %v/s", tc.n, el, min, tc.rate)
			}
		})
	}
	b := NewBucket(0.001, 1)
	_ = b.Wait(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := b.Wait(ctx); err == nil {
		t.Fatal("Wait on an empty slow bucket returned nil before its context ended")
	}
}

func counterValue(c interface{ Write(*dto.Metric) error }) float64 {
	var m dto.Metric
	_ = c.Write(&m)
	return m.GetCounter().GetValue()
}
