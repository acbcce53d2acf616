package consumers

import (
	"context"
	"database/sql"
	"encoding/json"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/orderflow"
	"github.com/ferry-cdc/ferry/pkg/orderflow/publish"
	"github.com/ferry-cdc/ferry/pkg/orderflow/service"
)

func counter(t *testing.T, v *prometheus.CounterVec, label string) int {
	t.Helper()
	var m dto.Metric
	if err := v.WithLabelValues(label).Write(&m); err != nil {
		t.Fatal(err)
	}
	return int(m.GetCounter().GetValue())
}

func count(t *testing.T, db *sql.DB, q string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestConsumersExactlyOnceInEffect pays orders through the real service and broker, kills the
// points consumer mid-stream (in-process Shutdown) and restarts it, re-sends every message
// (duplicates), and checks each consumer's table holds exactly one effect per order.
func TestConsumersExactlyOnceInEffect(t *testing.T) {
	testenv.QuietRocketMQ()
	st := testenv.Get(t)
	db := st.OpenSource(t, st.NewSourceDatabase(t))
	testenv.LoadOrderSchema(t, db)
	topic := st.NewTopic(t, 4)
	ctx := context.Background()

	pcfg := publish.DefaultConfig()
	pcfg.NameServer, pcfg.Group = st.NameServer, testenv.UniqueName("pg")
	pub, err := publish.NewRocketMQ(pcfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Shutdown()
	relay, err := service.NewRelay(db, pub, service.RelayConfig{SweepInterval: time.Second, Batch: 1000}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	scfg := service.DefaultConfig()
	scfg.PaidTopic = topic
	svc, err := service.New(db, scfg, nil, service.WithRelay(relay))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO products (id, sku, name, price, stock, created_at) VALUES (1, 's1', 'p', 12.34, 100000, UTC_TIMESTAMP(3))`); err != nil {
		t.Fatal(err)
	}
	const n = 120
	wantPoints := 0
	pay := func(from, to int) {
		for i := from; i < to; i++ {
			o, err := svc.Create(ctx, service.CreateRequest{UserID: uint64(i%7 + 1), Address: json.RawMessage(`{"c":"x"}`),
				Items: []service.ItemRequest{{ProductID: 1, Quantity: i%3 + 1}}})
			if err != nil {
				t.Fatal(err)
			}
			res, err := svc.Pay(ctx, o.ID, "card")
			if err != nil || !res.MessageSent {
				t.Fatalf("pay %d: %+v %v", o.ID, res, err)
			}
			wantPoints += int(PointsFor(o.PayAmount.String()))
		}
	}
	pay(0, n/2)

	ccfg := DefaultConfig()
	ccfg.NameServer, ccfg.Topic, ccfg.GroupPrefix = st.NameServer, topic, testenv.UniqueName("cg")
	metrics := NewMetrics(nil)
	running := map[string]*Consumer{}
	for _, h := range All() {
		c, err := Start(db, h, ccfg, metrics, nil)
		if err != nil {
			t.Fatal(err)
		}
		running[h.Name()] = c
	}
	defer func() {
		for _, c := range running {
			_ = c.Shutdown()
		}
	}()
	testenv.WaitFor(t, 60*time.Second, "points consumer to start handling", func() bool { return counter(t, metrics.Handled, "points") > 0 })
	// Kill the points consumer mid-stream while the second half is being paid.
	_ = running["points"].Shutdown()
	pay(n/2, n)
	c, err := Start(db, Points{}, ccfg, metrics, nil)
	if err != nil {
		t.Fatal(err)
	}
	running["points"] = c
	// Duplicate sends: mark every outbox row unsent and let the relay send them all again.
	if _, err := db.Exec(`UPDATE order_outbox SET sent_at = NULL`); err != nil {
		t.Fatal(err)
	}
	if sent, err := relay.Sweep(ctx); err != nil || sent != n {
		t.Fatalf("re-sent %d, %v; want %d", sent, err, n)
	}
	tables := map[string]string{
		"points":       `SELECT COUNT(*) FROM user_points_log WHERE reason = 'order_paid'`,
		"coupon":       `SELECT COUNT(*) FROM coupons WHERE source_order_id IS NOT NULL`,
		"notification": `SELECT COUNT(*) FROM notifications WHERE kind = 'order_paid'`,
		"shipment":     `SELECT COUNT(*) FROM shipments`,
	}
	for name := range tables {
		testenv.WaitFor(t, 90*time.Second, name+" to see every message and its duplicate", func() bool {
			return counter(t, metrics.Handled, name)+counter(t, metrics.Duplicates, name) >= 2*n
		})
	}
	for name, q := range tables {
		if got, handled := count(t, db, q), counter(t, metrics.Handled, name); got != n || handled != n {
			t.Errorf("%s: %d rows, %d applied; want %d each", name, got, handled, n)
		}
	}
	if got := count(t, db, `SELECT COALESCE(SUM(points), 0) FROM user_points`); got != wantPoints {
		t.Errorf("points total %d, want %d", got, wantPoints)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM orders o LEFT JOIN shipments s ON s.order_id = o.id WHERE s.id IS NULL`); got != 0 {
		t.Errorf("%d paid orders without a shipment", got)
	}
	t.Logf("handled/duplicates: points %d/%d coupon %d/%d", counter(t, metrics.Handled, "points"),
		counter(t, metrics.Duplicates, "points"), counter(t, metrics.Handled, "coupon"), counter(t, metrics.Duplicates, "coupon"))
}

func TestHandlerIdempotentOnDirectApply(t *testing.T) {
	st := testenv.Get(t)
	db := st.OpenSource(t, st.NewSourceDatabase(t))
	testenv.LoadOrderSchema(t, db)
	for _, h := range All() {
		t.Run(h.Name(), func(t *testing.T) {
			for i, want := range []bool{true, false, false} {
				m := orderflow.OrderPaid{OrderID: 42, OrderNo: "O42", UserID: 3, PayAmount: "99.99", PaidAt: time.Now()}
				got, err := Apply(context.Background(), db, h, m)
				if err != nil || got != want {
					t.Fatalf("apply #%d: applied=%v err=%v; want %v", i+1, got, err, want)
				}
			}
		})
	}
	if got := count(t, db, `SELECT points FROM user_points WHERE user_id = 3`); got != 99 {
		t.Fatalf("points %d after three deliveries, want 99 once", got)
	}
	if _, err := ByName([]string{"points", "bogus"}); err == nil {
		t.Fatal("ByName accepted an unknown consumer")
	}
}
