package retry

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestBackoffNext(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name       string
		first, max time.Duration
		resetAfter int // call Reset after this many Next calls (0: never)
		want       []time.Duration
	}{
		{"doubles to the cap", 100 * ms, 500 * ms, 0, []time.Duration{100 * ms, 200 * ms, 400 * ms, 500 * ms, 500 * ms}},
		{"no cap", 1 * ms, 0, 0, []time.Duration{1 * ms, 2 * ms, 4 * ms, 8 * ms}},
		{"first above cap", 2 * time.Second, time.Second, 0, []time.Duration{time.Second, time.Second}},
		{"reset after progress", 10 * ms, time.Second, 3, []time.Duration{10 * ms, 20 * ms, 40 * ms, 10 * ms, 20 * ms}},
		{"zero value", 0, 0, 0, []time.Duration{0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Backoff{First: tt.first, Max: tt.max}
			for i, want := range tt.want {
				if tt.resetAfter > 0 && i == tt.resetAfter {
					b.Reset()
				}
				if got := b.Next(); got != want {
					t.Fatalf("delay %d = %v, want %v", i, got, want)
				}
			}
		})
	}
}

func TestSleep(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		d       time.Duration
		wantErr error
	}{
		{"elapses", context.Background(), time.Millisecond, nil},
		{"context ends first", cancelled, time.Hour, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Sleep(tt.ctx, tt.d); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Sleep = %v, want %v", err, tt.wantErr)
			}
		})
	}
	b := Backoff{First: time.Hour}
	if err := b.Wait(cancelled); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait on a cancelled context = %v", err)
	}
}
