package flashsale

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/orderflow/publish"
	"github.com/ferry-cdc/ferry/pkg/orderflow/publish/publishtest"
	"github.com/ferry-cdc/ferry/pkg/orderflow/service"
)

type env struct {
	st   *testenv.Stack
	db   *sql.DB
	rdb  *redis.Client
	svc  *service.Service
	sale Sale
}

// newEnv creates a fresh database with a product dedicated to a sale of units units.
func newEnv(t *testing.T, units int) env {
	t.Helper()
	testenv.QuietRocketMQ()
	st := testenv.Get(t)
	name := st.NewSourceDatabase(t)
	db := st.OpenSource(t, name)
	testenv.LoadOrderSchema(t, db)
	db.SetMaxOpenConns(16)
	rdb := redis.NewClient(&redis.Options{Addr: st.RedisAddr, PoolSize: 64})
	t.Cleanup(func() { rdb.Close() })
	if _, err := db.Exec(`INSERT INTO products (id, sku, name, price, stock, created_at) VALUES (1, 'FS-1', 'flash item', 99.00, ?, UTC_TIMESTAMP(3))`, units); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sale, err := CreateSale(ctx, db, 1, "9.90", units, time.Hour, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := Preload(ctx, db, rdb, sale); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		k := keysOf(sale)
		rdb.Del(context.Background(), k.stock, k.soldOut, k.buyers, k.requests, k.base)
	})
	svc, err := service.New(db, service.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return env{st: st, db: db, rdb: rdb, svc: svc, sale: sale}
}

func newPublisher(t *testing.T, st *testenv.Stack) *publish.RocketMQ {
	t.Helper()
	cfg := publish.DefaultConfig()
	cfg.NameServer, cfg.Group = st.NameServer, testenv.UniqueName("fsp")
	p, err := publish.NewRocketMQ(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Shutdown() })
	return p
}

// TestFlashSaleBurst: 20,000 buyers within one second for 100 units, order-creation workers
// capped at 50 inserts/s, one worker killed mid-burst and replaced.
func TestFlashSaleBurst(t *testing.T) {
	const buyers, units, maxRate, burstTokens = 20000, 100, 50.0, 5
	e := newEnv(t, units)
	ctx := context.Background()
	topic := e.st.NewTopic(t, 4)
	metrics := NewMetrics(nil)
	gate, err := NewGate(e.rdb, newPublisher(t, e.st), topic, metrics, nil)
	if err != nil {
		t.Fatal(err)
	}
	gate.Open(e.sale)
	wcfg := WorkerConfig{NameServer: e.st.NameServer, Topic: topic, Group: testenv.UniqueName("fsw"),
		MaxRate: maxRate, Burst: burstTokens, Parallel: 4}
	startWorker := func() (*Worker, context.CancelFunc, chan error) {
		w, err := StartWorker(wcfg, e.svc, metrics, nil)
		if err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- w.Run(wctx) }()
		return w, cancel, done
	}
	w1, stop1, done1 := startWorker()

	stats, err := RunBurst(ctx, gate, Burst{SaleID: e.sale.ID, Buyers: buyers, Window: time.Second, Concurrency: 200})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("burst: %d requests in %v (%.0f req/s): %v, errors %d, re-sent %d (first error: %s)",
		stats.Requests, stats.Elapsed, stats.Rate, stats.Results, stats.Errors, stats.Retried, stats.FirstError)
	if stats.Results[Won] != units || stats.Rejected() != buyers-units || stats.Errors != 0 || stats.Results[AlreadyBought] != 0 {
		t.Fatalf("burst results %v errors %d (first: %s): want exactly %d won and %d rejected as sold out",
			stats.Results, stats.Errors, stats.FirstError, units, buyers-units)
	}
	if stats.Rate < 10*maxRate {
		t.Fatalf("request rate %.0f/s is not ten times the insert cap %.0f/s", stats.Rate, maxRate)
	}

	// Kill the worker mid-stream (in-process Shutdown), then start a replacement in the group.
	testenv.WaitFor(t, 60*time.Second, "the first worker to create 30 orders", func() bool { return countOrders(t, e.db) >= 30 })
	stop1()
	if err := <-done1; err != nil {
		t.Fatal(err)
	}
	_ = w1.Shutdown()
	killedAt := countOrders(t, e.db)
	w2, stop2, done2 := startWorker()
	defer func() { stop2(); <-done2; w2.Shutdown() }()
	testenv.WaitFor(t, 90*time.Second, "all 100 orders", func() bool { return countOrders(t, e.db) >= units })
	time.Sleep(500 * time.Millisecond) // a duplicate would show up now
	t.Logf("worker killed after %d orders; duplicates skipped %v", killedAt, counterValue(metrics.Duplicates))

	if n := countOrders(t, e.db); n != units {
		t.Fatalf("%d orders, want exactly %d", n, units)
	}
	var users int
	if err := e.db.QueryRow(`SELECT COUNT(DISTINCT user_id) FROM orders`).Scan(&users); err != nil || users != units {
		t.Fatalf("%d distinct buyers (%v), want %d: no buyer twice", users, err, units)
	}
	checkInsertRate(t, e.db, maxRate, burstTokens)
	rep, err := Reconcile(ctx, e.db, e.rdb, e.sale)
	if err != nil || !rep.OK() || rep.MySQLStock != 0 || rep.RedisStockLeft != 0 {
		t.Fatalf("reconcile: %+v, %v; want zero differences", rep, err)
	}
}

// checkInsertRate asserts that no one-second window holds more orders than the cap allows.
func checkInsertRate(t *testing.T, db *sql.DB, rate float64, burst int) {
	t.Helper()
	rows, err := db.Query(`SELECT created_at FROM orders ORDER BY created_at`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ts []time.Time
	for rows.Next() {
		var tm time.Time // the test DSN sets parseTime=true
		if err := rows.Scan(&tm); err != nil {
			t.Fatal(err)
		}
		ts = append(ts, tm)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	maxIn, j := 0, 0
	for i := range ts {
		for ts[i].Sub(ts[j]) >= time.Second {
			j++
		}
		maxIn = max(maxIn, i-j+1)
	}
	// Two buckets can overlap for a moment when the killed worker's replacement starts.
	limit := 2 * (int(rate) + burst)
	t.Logf("max orders in any 1 s window: %d (cap %.0f/s, burst %d)", maxIn, rate, burst)
	if maxIn > limit {
		t.Fatalf("%d orders within one second exceed the cap (%d)", maxIn, limit)
	}
}

func countOrders(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM orders`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestGateIdempotencyAndRelease(t *testing.T) {
	e := newEnv(t, 2)
	ctx := context.Background()
	pub := &publishtest.Publisher{}
	g, err := NewGate(e.rdb, pub, "t", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	g.Open(e.sale)
	id := e.sale.ID
	steps := []struct {
		name  string
		user  uint64
		req   string
		fail  bool
		want  Result
		isErr bool
		sent  int
	}{
		{"first buyer wins", 1, "a", false, Won, false, 1},
		{"same request replays (re-sent, not re-deducted)", 1, "a", false, Replayed, false, 2},
		{"same buyer new request", 1, "b", false, AlreadyBought, false, 2},
		{"request id of another buyer", 2, "a", false, "", true, 2},
		{"broker down: unit released", 2, "c", true, "", true, 2},
		{"retry after broker recovers", 2, "c", false, Won, false, 3},
		{"replay whose re-send fails keeps its unit", 1, "a", true, "", true, 3},
		{"sold out in Redis", 3, "d", false, SoldOut, false, 3},
		{"sold out at the edge", 4, "e", false, SoldOutAtEdge, false, 3},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.fail {
				pub.SetFail(1)
			}
			got, err := g.Buy(ctx, id, s.user, s.req)
			if got != s.want || (err != nil) != s.isErr || pub.Sent() != s.sent {
				t.Fatalf("Buy(%d, %q) = %q, %v (sent %d); want %q err=%v sent %d", s.user, s.req, got, err, pub.Sent(), s.want, s.isErr, s.sent)
			}
		})
	}
	rep, err := Reconcile(ctx, e.db, e.rdb, e.sale)
	if err != nil || rep.RedisStockLeft != 0 || rep.RedisBuyers != 2 || rep.RedisRequests != 2 {
		t.Fatalf("Redis after the steps: %+v %v", rep, err)
	}
	// No orders were created (no workers): reconciliation must say so.
	if rep.OK() || rep.Orders != 0 {
		t.Fatalf("reconcile with 2 wins and no orders reported no difference: %+v", rep)
	}
	if _, err := g.Buy(ctx, 999, 1, "x"); !errors.Is(err, ErrNoSale) {
		t.Fatalf("unknown sale: %v", err)
	}
}

// blockingPublisher fails its first send after the test lets it go, and stores the rest.
type blockingPublisher struct {
	publishtest.Publisher
	entered, release chan struct{}
	once             sync.Once
}

func (p *blockingPublisher) Publish(ctx context.Context, msg publish.Message, done func(error)) error {
	first := false
	p.once.Do(func() { first = true })
	if !first {
		return p.Publisher.Publish(ctx, msg, done)
	}
	close(p.entered)
	<-p.release
	return publishtest.ErrBrokerDown
}

// TestGateSellsReleasedUnit: the last unit's send fails while another buyer is told "sold out";
// the unit goes back to Redis, and this gate must sell it again (its in-process sold-out flag,
// set by the other buyer, must not hide the unit).
func TestGateSellsReleasedUnit(t *testing.T) {
	e := newEnv(t, 1)
	ctx := context.Background()
	pub := &blockingPublisher{entered: make(chan struct{}), release: make(chan struct{})}
	g, err := NewGate(e.rdb, pub, "t", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	g.Open(e.sale)
	first := make(chan error, 1)
	go func() { _, err := g.Buy(ctx, e.sale.ID, 1, "a"); first <- err }()
	<-pub.entered
	if got, err := g.Buy(ctx, e.sale.ID, 2, "b"); got != SoldOut || err != nil {
		t.Fatalf("second buyer while the last unit's send is pending: %q, %v; want %q", got, err, SoldOut)
	}
	close(pub.release)
	if err := <-first; !errors.Is(err, publishtest.ErrBrokerDown) {
		t.Fatalf("first buyer: %v, want the broker error", err)
	}
	if got, err := g.Buy(ctx, e.sale.ID, 3, "c"); got != Won || err != nil {
		t.Fatalf("buyer after the unit was released: %q, %v; want %q", got, err, Won)
	}
	if got, err := g.Buy(ctx, e.sale.ID, 4, "d"); got != SoldOut || err != nil {
		t.Fatalf("buyer after the re-sale: %q, %v; want %q", got, err, SoldOut)
	}
	if pub.Sent() != 1 {
		t.Fatalf("%d messages stored, want 1 (the re-sold unit)", pub.Sent())
	}
}
