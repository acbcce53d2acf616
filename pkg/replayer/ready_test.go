package replayer

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

type pingSink struct {
	fakeSink
	down atomic.Bool
}

func (p *pingSink) Ping(context.Context) error {
	if p.down.Load() {
		return errors.New("connection refused")
	}
	return nil
}

func TestReadyReflectsStartSinkAndHalt(t *testing.T) {
	ps := &pingSink{}
	ps.down.Store(true)
	cfg := DefaultConfig()
	cfg.Group = "g"
	r, err := New(cfg, ps, "fake", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Ready(); err == nil || !strings.Contains(err.Error(), "not started") {
		t.Fatalf("Ready before start = %v, want not started", err)
	}
	r.started.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.watchSink(ctx, 10*time.Millisecond)
	waitFor := func(what string, ok func(error) bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !ok(r.Ready()) {
			if time.Now().After(deadline) {
				t.Fatalf("Ready never became %s (last %v)", what, r.Ready())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor("unreachable", func(err error) bool { return err != nil && strings.Contains(err.Error(), "unreachable") })
	ps.down.Store(false)
	waitFor("nil", func(err error) bool { return err == nil })
	_ = r.halt(errors.New("poison"))
	if err := r.Ready(); !errors.Is(err, ErrHalted) {
		t.Fatalf("Ready after halt = %v, want ErrHalted", err)
	}
}

// TestHaltErrorWhileHalting reads the halt error (what Run returns after a stop) while a queue's
// goroutine halts: under -race this must not be a data race, and the error is nil before the
// halt and the halt's after it.
func TestHaltErrorWhileHalting(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Group = "g"
	r, err := New(cfg, &fakeSink{}, "fake", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.haltError(); err != nil {
		t.Fatalf("haltError before a halt = %v", err)
	}
	cause := errors.New("offset gap")
	done := make(chan struct{})
	go func() { defer close(done); _ = r.halt(cause) }()
	_ = r.haltError() // concurrent with the halt: nil or the halt, never a race
	<-done
	if err := r.haltError(); !errors.Is(err, ErrHalted) || !errors.Is(err, cause) {
		t.Fatalf("haltError after the halt = %v, want ErrHalted wrapping %v", err, cause)
	}
}
