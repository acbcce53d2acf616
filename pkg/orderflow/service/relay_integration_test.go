package service

import (
	"context"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/orderflow/publish"
)

// TestRelayModesAgainstBroker pays orders with the relay in sync and async mode against the real
// broker and checks every outbox row ends up marked sent (async: by the send callback).
func TestRelayModesAgainstBroker(t *testing.T) {
	testenv.QuietRocketMQ()
	st := testenv.Get(t)
	topic := st.NewTopic(t, 2)
	for _, mode := range []publish.Mode{publish.ModeSync, publish.ModeAsync} {
		t.Run(string(mode), func(t *testing.T) {
			db := newTestDB(t)
			pcfg := publish.DefaultConfig()
			pcfg.NameServer, pcfg.Group, pcfg.Mode = st.NameServer, testenv.UniqueName("rp"), mode
			pub, err := publish.NewRocketMQ(pcfg)
			if err != nil {
				t.Fatal(err)
			}
			defer pub.Shutdown()
			relay, err := NewRelay(db, pub, DefaultRelayConfig(), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			cfg := DefaultConfig()
			cfg.PaidTopic = topic
			s, err := New(db, cfg, nil, WithRelay(relay))
			if err != nil {
				t.Fatal(err)
			}
			pid := addProduct(t, db, "rl", "5.00", 100)
			for i := 0; i < 10; i++ {
				o, err := s.Create(context.Background(), CreateRequest{UserID: 1, Items: []ItemRequest{{ProductID: pid, Quantity: 1}}, Address: addr})
				if err != nil {
					t.Fatal(err)
				}
				if res, err := s.Pay(context.Background(), o.ID, "card"); err != nil || !res.MessageSent {
					t.Fatalf("pay: %+v %v", res, err)
				}
			}
			deadline := time.Now().Add(20 * time.Second)
			for queryInt(t, db, `SELECT COUNT(*) FROM order_outbox WHERE sent_at IS NOT NULL`) != 10 {
				if time.Now().After(deadline) {
					t.Fatalf("%d of 10 outbox rows marked sent", queryInt(t, db, `SELECT COUNT(*) FROM order_outbox WHERE sent_at IS NOT NULL`))
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

func TestRunCloserLoop(t *testing.T) {
	db := newTestDB(t)
	cfg := DefaultConfig()
	cfg.OrderTTL = time.Millisecond
	s, err := New(db, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	pid := addProduct(t, db, "cl", "1.00", 10)
	for i := 0; i < 7; i++ {
		if _, err := s.Create(context.Background(), CreateRequest{UserID: 2, Items: []ItemRequest{{ProductID: pid, Quantity: 1}}, Address: addr}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(5 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.RunCloser(ctx, CloserConfig{Batch: 3, Interval: 20 * time.Millisecond}) }()
	for queryInt(t, db, `SELECT COUNT(*) FROM orders WHERE status = 'closed'`) != 7 && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, db, `SELECT COUNT(*) FROM orders WHERE status = 'closed'`); n != 7 {
		t.Fatalf("closed %d of 7 expired orders", n)
	}
	if err := s.RunCloser(context.Background(), CloserConfig{Batch: 0, Interval: time.Second}); err == nil {
		t.Fatal("RunCloser accepted batch 0")
	}
}
