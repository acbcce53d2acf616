package main

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/backfill"
	"github.com/ferry-cdc/ferry/pkg/backfill/backfilltest"
	"github.com/ferry-cdc/ferry/pkg/sink/chsink"
	"github.com/ferry-cdc/ferry/pkg/sink/mysqlsink"
	"github.com/ferry-cdc/ferry/pkg/verify"
)

// TestSyncInitialCopy runs `binlog-tailer sync` (runSync) for a database that already has data:
// streaming starts, every table is backfilled, writes made meanwhile are streamed; replayers apply
// both into fresh copies, which must verify clean on both sinks.
func TestSyncInitialCopy(t *testing.T) {
	st := testenv.Get(t)
	srcDB := st.NewSourceDatabase(t)
	admin := st.OpenSource(t, srcDB)
	testenv.LoadOrderSchema(t, admin)
	src := backfilltest.OpenSource(t, st)
	backfilltest.SeedOrders(t, src, srcDB, 400, 4)
	copies := backfilltest.NewCopies(t, st)
	copies.EnsureSchema(t, st, srcDB)
	topic := st.NewTopic(t, 3)
	backfilltest.StartReplayer(t, st, topic, copies.MySQLSink, "mysql", 50*time.Millisecond)
	backfilltest.StartReplayer(t, st, topic, copies.CHSink, "clickhouse", 50*time.Millisecond)

	b := defaultBackfillOptions()
	o := &b.options
	o.Config = backfilltest.TailerConfig(t, st, srcDB, topic)
	o.MetricsAddr = "127.0.0.1:0"
	b.Backfill.ChunkRows = 100
	b.Tables = includedDatabases(o.Include)
	if len(b.Tables) != 1 || b.Tables[0] != srcDB {
		t.Fatalf("includedDatabases(%v) = %v", o.Include, b.Tables)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runSync(ctx, &b, false, slog.New(slog.DiscardHandler)) }()
	for _, q := range []string{
		"UPDATE orders SET remark = 'during sync' WHERE id % 7 = 0",
		"DELETE FROM orders WHERE id % 11 = 0",
		"UPDATE order_items SET quantity = quantity + 1 WHERE order_id < 50",
	} {
		time.Sleep(300 * time.Millisecond)
		if _, err := admin.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	cfg := verify.DefaultConfig()
	cfg.Retries, cfg.RetryInterval = 20, 3*time.Second
	for _, cp := range []verify.Copy{
		&mysqlsink.Reader{DB: copies.MySQL, Database: copies.MySQLCopy},
		&chsink.Reader{DB: copies.CH, Database: copies.CHCopy},
	} {
		v, err := verify.New(cfg, src, cp, nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, tb := range []string{"orders", "order_items", "payments", "shipments", "products"} {
			r, err := v.Table(context.Background(), verify.TableRef{Database: srcDB, Name: tb})
			if err != nil {
				t.Fatal(err)
			}
			if !r.OK() || r.SourceRows == 0 {
				t.Errorf("%s on %s after sync: ok=%v rows %d/%d diffs %v", tb, cp.Name(), r.OK(), r.SourceRows, r.CopyRows, r.Diffs)
			}
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("sync stopped with %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("sync did not stop within a minute of cancellation")
	}
	cp, err := backfill.LoadCheckpoint(o.DataDir, srcDB+".orders")
	if err != nil || !cp.Done || cp.Rows < 300 {
		t.Fatalf("orders backfill checkpoint: %+v %v", cp, err)
	}
}
