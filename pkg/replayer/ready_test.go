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
