package backfill_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ferry-cdc/ferry/pkg/backfill"
	"github.com/ferry-cdc/ferry/pkg/backfill/backfilltest"
	"github.com/ferry-cdc/ferry/pkg/canal"
	"github.com/ferry-cdc/ferry/pkg/checkpoint"
	"github.com/ferry-cdc/ferry/pkg/sink/chsink"
	"github.com/ferry-cdc/ferry/pkg/sink/mysqlsink"
	"github.com/ferry-cdc/ferry/pkg/verify"
)

// backfillAll backfills every table of the source database with epoch.
func (p *pipeline) backfillAll(t *testing.T, epoch uint8) {
	t.Helper()
	b, closePub := p.backfillerEpoch(t, t.TempDir(), epoch, nil)
	defer closePub()
	tables, err := b.Tables(context.Background(), []string{p.srcDB})
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		if _, err := b.Table(context.Background(), tb); err != nil {
			t.Fatalf("backfill %s: %v", tb, err)
		}
	}
}

// TestResyncAfterPurgedBinlog runs the resync procedure: a copy is in sync (epoch 0); the
// tailer stops; rows are deleted, updated and inserted at the source; the tailer's binlog
// position is lost (purged); the tailer refuses to start with canal.ErrPurged; resync moves it
// to the head with epoch 1; a backfill with epoch 1 leaves exactly the rows deleted in the gap
// alive in both copies (verify shows them as extra); the sweep for epoch 1 removes them and both
// copies verify clean.
//
// The purge is simulated by a checkpoint naming a binlog file older than the oldest the source
// has (what a purge leaves behind): PURGE BINARY LOGS on the shared test server would break other
// packages' tailers running at the same time.
func TestResyncAfterPurgedBinlog(t *testing.T) {
	p := newPipeline(t, 3000)
	ctx := context.Background()
	p.backfillAll(t, 0)
	p.verifyConverged(t)
	if err := p.stopTailer(); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("stop tailer: %v", err)
	}
	// The gap: changes no binlog reader sees.
	var deleted []string
	for id := 10; id <= 3000; id += 60 {
		deleted = append(deleted, fmt.Sprint(id))
	}
	exec(t, p, "DELETE FROM orders WHERE id IN ("+strings.Join(deleted, ",")+")",
		"UPDATE orders SET remark = 'changed in the gap', status = 'closed' WHERE id % 97 = 0",
		"DELETE FROM products WHERE id = 7")
	backfilltest.BulkOrders(t, p.src, p.srcDB, 5000, 25)
	deleted = append(deleted, "products:7")

	cp, err := checkpoint.Load(p.tailer.DataDir)
	if err != nil || cp == nil {
		t.Fatalf("tailer checkpoint: %v %v", cp, err)
	}
	purged := *cp
	purged.File = cp.File[:strings.LastIndexByte(cp.File, '.')+1] + "000000"
	if err := checkpoint.Save(p.tailer.DataDir, purged); err != nil { // a lost position, same epoch: not a resync
		t.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	err = canal.Run(rctx, p.tailer, backfilltest.Logger(), prometheus.NewRegistry(), nil)
	cancel()
	if !errors.Is(err, canal.ErrPurged) {
		t.Fatalf("tailer on a purged position: %v, want canal.ErrPurged", err)
	}
	t.Logf("tailer refused as expected: %v", err)

	state, err := backfill.ResyncCheckpoint(ctx, &p.tailer, -1)
	if err != nil {
		t.Fatal(err)
	}
	if state.Epoch != 1 {
		t.Fatalf("resync epoch = %d, want 1", state.Epoch)
	}
	backfilltest.StartTailer(t, p.tailer)
	p.backfillAll(t, 1)

	// Before the sweep: the rows deleted in the gap are still alive in both copies.
	for name, results := range p.verifyAll(t, 6) {
		var extra []string
		for _, r := range results {
			for _, d := range r.Diffs {
				if d.Kind != verify.Extra {
					t.Errorf("%s %s: unexpected %s key %v before the sweep", name, r.Table.Name, d.Kind, d.Key)
					continue
				}
				k := d.Key[0]
				if r.Table.Name != "orders" {
					k = r.Table.Name + ":" + k
				}
				extra = append(extra, k)
			}
		}
		sort.Strings(extra)
		want := append([]string(nil), deleted...)
		sort.Strings(want)
		if strings.Join(extra, " ") != strings.Join(want, " ") {
			t.Fatalf("%s before the sweep: extra keys %v, want the %d keys deleted in the gap", name, extra, len(want))
		}
	}
	swept := map[string]int64{}
	tables, err := backfill.ListTables(ctx, p.src, p.srcDB)
	if err != nil {
		t.Fatal(err)
	}
	version := backfill.SweepVersion(state.Epoch)
	for _, tb := range tables {
		n, err := mysqlsink.Sweep(ctx, p.copies.MySQL, p.copies.MySQLCopy, tb, version)
		if err != nil {
			t.Fatal(err)
		}
		swept["mysql"] += n
		if n, err = chsink.Sweep(ctx, p.copies.CH, p.copies.CHCopy, tb, version); err != nil {
			t.Fatal(err)
		}
		swept["clickhouse"] += n
	}
	if swept["mysql"] != int64(len(deleted)) || swept["clickhouse"] != int64(len(deleted)) {
		t.Errorf("swept %v rows, want %d per copy", swept, len(deleted))
	}
	p.verifyConverged(t)
}

func exec(t *testing.T, p *pipeline, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := p.admin.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}
