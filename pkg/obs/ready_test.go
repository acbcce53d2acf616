package obs

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestProgress(t *testing.T) {
	now := time.Unix(1000, 0)
	p := NewProgress("binlog stream", 10*time.Second)
	p.now = func() time.Time { return now }
	if err := p.Check(); !errors.Is(err, ErrNoProgress) || !strings.Contains(err.Error(), "binlog stream") {
		t.Fatalf("Check before Mark = %v, want ErrNoProgress naming the stream", err)
	}
	p.Mark()
	tests := []struct {
		name    string
		advance time.Duration
		wantErr bool
	}{
		{"just marked", 0, false},
		{"within limit", 10 * time.Second, false},
		{"past limit", 11 * time.Second, true},
	}
	base := now
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now = base.Add(tt.advance)
			err := p.Check()
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, ErrNoProgress)) {
				t.Fatalf("Check after %s = %v, wantErr %v", tt.advance, err, tt.wantErr)
			}
		})
	}
}

func TestAllReady(t *testing.T) {
	a, b := errors.New("a down"), errors.New("b down")
	tests := []struct {
		name   string
		checks []func() error
		want   []error
	}{
		{"none", nil, nil},
		{"all ok with nil", []func() error{nil, func() error { return nil }}, nil},
		{"two failing", []func() error{func() error { return a }, func() error { return nil }, func() error { return b }}, []error{a, b}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := AllReady(tt.checks...)()
			if len(tt.want) == 0 && err != nil {
				t.Fatalf("AllReady = %v, want nil", err)
			}
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Fatalf("AllReady = %v, want it to wrap %v", err, w)
				}
			}
		})
	}
}
