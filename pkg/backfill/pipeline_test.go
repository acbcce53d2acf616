package backfill_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/backfill"
	"github.com/ferry-cdc/ferry/pkg/backfill/backfilltest"
	"github.com/ferry-cdc/ferry/pkg/canal"
	"github.com/ferry-cdc/ferry/pkg/orderflow/load"
	"github.com/ferry-cdc/ferry/pkg/orderflow/service"
	"github.com/ferry-cdc/ferry/pkg/sink/chsink"
	"github.com/ferry-cdc/ferry/pkg/sink/mysqlsink"
	"github.com/ferry-cdc/ferry/pkg/verify"
)

// backfillRows is the size of the big table: FERRY_BACKFILL_ROWS, default 100,000 in `go test`
// (the 1,000,000 runs with FERRY_BACKFILL_ROWS=1000000; see docs/operations-backfill-verify.md).
func backfillRows() int {
	if n, err := strconv.Atoi(os.Getenv("FERRY_BACKFILL_ROWS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// pipeline is a source database streamed by a real tailer through RocketMQ into both copies by
// real replayers.
type pipeline struct {
	st     *testenv.Stack
	srcDB  string
	src    *sql.DB // backfill-style connection (text values, UTC)
	admin  *sql.DB // source with the database as default (workload)
	copies *backfilltest.Copies
	tailer canal.Config
	// stopTailer stops the tailer started by newPipeline.
	stopTailer func() error
	// applied reports the rows each replayer (by sink name) has applied so far.
	applied map[string]func() float64
}

func newPipeline(t *testing.T, bulkOrders int) *pipeline {
	t.Helper()
	st := testenv.Get(t)
	p := &pipeline{st: st, srcDB: st.NewSourceDatabase(t), applied: map[string]func() float64{}}
	testenv.LoadOrderSchema(t, st.OpenSource(t, p.srcDB))
	p.src = backfilltest.OpenSource(t, st)
	p.admin = st.OpenSourceWith(t, p.srcDB, "&interpolateParams=true")
	p.admin.SetMaxOpenConns(32)
	if err := load.Seed(context.Background(), p.admin, load.SeedConfig{Products: 200, Stock: 1_000_000, Coupons: 100, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	backfilltest.BulkOrders(t, p.src, p.srcDB, 0, bulkOrders)
	p.copies = backfilltest.NewCopies(t, st)
	p.copies.EnsureSchema(t, st, p.srcDB)
	topic := st.NewTopic(t, 4)
	p.tailer = backfilltest.TailerConfig(t, st, p.srcDB, topic)
	p.stopTailer = backfilltest.StartTailer(t, p.tailer)
	_, p.applied["mysql"] = backfilltest.StartReplayerCounted(t, st, topic, p.copies.MySQLSink, "mysql", 50*time.Millisecond)
	_, p.applied["clickhouse"] = backfilltest.StartReplayerCounted(t, st, topic, p.copies.CHSink, "clickhouse", 50*time.Millisecond)
	return p
}

// workload runs the order-flow generator plus random updates and deletes of the bulk orders
// (ids 1..bulk, rows the backfill is reading) until stop is called.
func (p *pipeline) workload(t *testing.T, bulk int) (stop func() load.Stats) {
	t.Helper()
	svc, err := service.New(p.admin, service.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var stats load.Stats
	var touched atomic.Int64
	wg.Add(2)
	go func() {
		defer wg.Done()
		cfg := load.DefaultConfig()
		cfg.Rate, cfg.Duration, cfg.Workers, cfg.Users, cfg.Out = 150, 0, 8, 500, nil
		cfg.Count = 1 << 30
		stats, _ = load.Run(ctx, p.admin, load.ServiceTarget{S: svc}, cfg)
	}()
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(9, 9))
		for ctx.Err() == nil {
			id := 1 + rng.IntN(bulk)
			q := "UPDATE orders SET remark = CONCAT('touched ', ?), status = 'paid', paid_at = NOW(3) WHERE id = ?"
			if rng.IntN(4) == 0 {
				q = "DELETE FROM orders WHERE id = ? + 0 * ?"
			}
			if _, err := p.admin.ExecContext(ctx, q, rng.IntN(1000), id); err == nil {
				touched.Add(1)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	return func() load.Stats {
		cancel()
		wg.Wait()
		t.Logf("workload: %d order-flow requests (%d writes, %d errors), %d updates/deletes of bulk orders", stats.Requests, stats.Writes, stats.Errors, touched.Load())
		return stats
	}
}

// backfiller returns a Backfiller publishing through the tailer's publisher into the topic.
func (p *pipeline) backfiller(t *testing.T, dir string, progress backfill.ProgressFunc) (*backfill.Backfiller, func()) {
	t.Helper()
	return p.backfillerEpoch(t, dir, 0, progress)
}

// backfillerEpoch is backfiller for rows of the given epoch.
func (p *pipeline) backfillerEpoch(t *testing.T, dir string, epoch uint8, progress backfill.ProgressFunc) (*backfill.Backfiller, func()) {
	t.Helper()
	pub, err := backfill.NewCanalPublisher(context.Background(), p.tailer, backfilltest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	cfg := backfill.DefaultConfig()
	cfg.CheckpointDir, cfg.ChunkRows, cfg.Epoch = dir, 5000, epoch
	b, err := backfill.New(cfg, p.src, pub, nil, backfilltest.Logger(), progress)
	if err != nil {
		t.Fatal(err)
	}
	return b, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := pub.Close(ctx); err != nil {
			t.Logf("close publisher: %v", err)
		}
	}
}

// verifyConverged verifies every table of the source database on both sinks, re-checking
// differing keys for up to three minutes per table while the replayers catch up (under -race on a
// loaded machine the MySQL replayer lagged more than a minute behind the backfill).
func (p *pipeline) verifyConverged(t *testing.T) {
	t.Helper()
	for name, results := range p.verifyAll(t, 60) {
		for _, r := range results {
			if !r.OK() {
				t.Errorf("%s on %s: %d differing keys, e.g. %v", r.Table, name, len(r.Diffs), r.Diffs[:min(5, len(r.Diffs))])
			}
		}
	}
	if t.Failed() {
		p.logApplied(t)
	}
}

// logApplied logs how many rows each replayer applied: a stalled replayer shows as a count far
// below the rows published.
func (p *pipeline) logApplied(t *testing.T) {
	for name, applied := range p.applied {
		t.Logf("replayer %s applied %.0f rows in all", name, applied())
	}
}

// verifyBudget bounds one verifyAll: the copies of a working pipeline converge within a few
// minutes even under -race on a loaded machine; a stuck one must not hold the suite for the
// sum of every table's re-checks (a CI run spent 22 minutes here).
const verifyBudget = 8 * time.Minute

// verifyAll verifies every table of the source database on both sinks (re-checking differing
// keys retries times, 3 s apart) and returns the results per sink. It stops at once when a
// tailer or replayer of the test stopped on its own, and after verifyBudget.
func (p *pipeline) verifyAll(t *testing.T, retries int) map[string][]*verify.TableResult {
	t.Helper()
	ctx, cancel := context.WithTimeoutCause(backfilltest.Context(t), verifyBudget,
		fmt.Errorf("copies still differ after %s of re-checks: a replayer is stuck or far behind", verifyBudget))
	defer cancel()
	out := map[string][]*verify.TableResult{}
	cfg := verify.DefaultConfig()
	cfg.Retries, cfg.RetryInterval = retries, 3*time.Second
	copies := []verify.Copy{
		&mysqlsink.Reader{DB: p.copies.MySQL, Database: p.copies.MySQLCopy},
		&chsink.Reader{DB: p.copies.CH, Database: p.copies.CHCopy},
	}
	for _, cp := range copies {
		v, err := verify.New(cfg, p.src, cp, nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		tables, err := v.Tables(ctx, []string{p.srcDB})
		if err != nil {
			t.Fatal(err)
		}
		var results []*verify.TableResult
		for _, tb := range tables {
			r, err := v.Table(ctx, tb)
			if err != nil {
				p.logApplied(t)
				t.Fatalf("verify %s on %s: %v (%v)", tb, cp.Name(), err, context.Cause(ctx))
			}
			results = append(results, r)
		}
		var buf summaryBuf
		verify.WriteSummary(&buf, results)
		t.Logf("verify %s:\n%s", cp.Name(), buf.String())
		out[cp.Name()] = results
	}
	return out
}

// TestBackfillUnderWorkloadConverges backfills a big orders table (FERRY_BACKFILL_ROWS) through
// RocketMQ into both copies while the order-flow workload and random updates/deletes of the
// backfilled rows run; the backfill is interrupted twice and resumed from its checkpoint. Both
// copies must then verify with zero mismatches.
func TestBackfillUnderWorkloadConverges(t *testing.T) {
	n := backfillRows()
	p := newPipeline(t, n)
	stopLoad := p.workload(t, n)
	dir := t.TempDir()
	table := p.srcDB + ".orders"
	var published []int64
	for run, stopAt := range []int64{int64(n) / 4, int64(n) / 2, 0} {
		ctx, cancel := context.WithCancel(context.Background())
		b, closePub := p.backfiller(t, dir, func(_ string, rows, _ int64, _ time.Duration, _ bool) {
			if stopAt > 0 && rows >= stopAt {
				cancel() // interrupt: as if the process was stopped after this chunk
			}
		})
		got, err := b.Table(ctx, table)
		closePub()
		cancel()
		published = append(published, got)
		if stopAt > 0 && !errors.Is(err, context.Canceled) {
			t.Fatalf("run %d: want an interruption (context canceled), got %v after %d rows", run+1, err, got)
		}
		if stopAt == 0 && err != nil {
			t.Fatalf("final run: %v", err)
		}
	}
	cp, err := backfill.LoadCheckpoint(dir, table)
	if err != nil {
		t.Fatal(err)
	}
	total := published[0] + published[1] + published[2]
	t.Logf("published per run %v (total %d), checkpoint %+v", published, total, cp)
	if !cp.Done || published[1] == 0 || published[2] == 0 || total > int64(n)+3*5000 {
		t.Fatalf("runs did not resume from the checkpoint: per run %v, done=%v", published, cp.Done)
	}
	// Backfill the remaining (small) tables in one go, as an initial sync would.
	b, closePub := p.backfiller(t, dir, nil)
	others, err := b.Tables(context.Background(), []string{p.srcDB})
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range others {
		if _, err := b.Table(context.Background(), tb); err != nil {
			t.Fatal(err)
		}
	}
	closePub()
	time.Sleep(2 * time.Second)
	stopLoad()
	p.verifyConverged(t)
}
