package service

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/orderflow"
	"github.com/ferry-cdc/ferry/pkg/orderflow/publish"
	"github.com/ferry-cdc/ferry/pkg/orderflow/publish/publishtest"
)

var addr = json.RawMessage(`{"city":"Hangzhou","line1":"1 West Lake Rd"}`)

// newTestDB returns a fresh shop database on the source with the order schema loaded.
func newTestDB(t *testing.T) *sql.DB {
	t.Helper()
	st := testenv.Get(t)
	name := st.NewSourceDatabase(t)
	db := st.OpenSource(t, name)
	testenv.LoadOrderSchema(t, db)
	db.SetMaxOpenConns(32)
	return db
}

func newTestService(t *testing.T, db *sql.DB, opts ...Option) *Service {
	t.Helper()
	s, err := New(db, DefaultConfig(), nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// addProduct inserts a product and returns its id.
func addProduct(t *testing.T, db *sql.DB, sku string, price string, stock int) uint64 {
	t.Helper()
	res, err := db.Exec(`INSERT INTO products (sku, name, price, stock, created_at) VALUES (?, ?, ?, ?, UTC_TIMESTAMP(3))`,
		sku, "product "+sku, price, stock)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	return uint64(id)
}

func queryInt(t *testing.T, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestPayConcurrentPayersNeverOversell(t *testing.T) {
	db := newTestDB(t)
	s := newTestService(t, db)
	ctx := context.Background()
	tests := []struct {
		name           string
		stock, buyers  int
		quantity, want int
	}{
		{"last unit", 1, 8, 1, 1},
		{"five units twenty payers", 5, 20, 1, 5},
		{"two per order", 7, 10, 2, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pid := addProduct(t, db, testenv.UniqueName("sku"), "10.00", tc.stock)
			ids := make([]uint64, tc.buyers)
			for i := range ids {
				o, err := s.Create(ctx, CreateRequest{UserID: uint64(i + 1), Items: []ItemRequest{{ProductID: pid, Quantity: tc.quantity}}, Address: addr})
				if err != nil {
					t.Fatal(err)
				}
				ids[i] = o.ID
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			won, outOfStock := 0, 0
			for _, id := range ids {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := s.Pay(ctx, id, "card")
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						won++
					case errors.Is(err, ErrOutOfStock):
						outOfStock++
					default:
						t.Errorf("pay %d: %v", id, err)
					}
				}()
			}
			wg.Wait()
			stock := queryInt(t, db, `SELECT stock FROM products WHERE id = ?`, pid)
			if won != tc.want || outOfStock != tc.buyers-tc.want || stock != tc.stock-tc.want*tc.quantity {
				t.Fatalf("won %d, out of stock %d, stock left %d; want %d, %d, %d", won, outOfStock, stock,
					tc.want, tc.buyers-tc.want, tc.stock-tc.want*tc.quantity)
			}
			paid := queryInt(t, db, `SELECT COUNT(*) FROM orders o JOIN order_items i ON i.order_id = o.id
				WHERE i.product_id = ? AND o.status = 'paid'`, pid)
			pays := queryInt(t, db, `SELECT COUNT(*) FROM payments p JOIN order_items i ON i.order_id = p.order_id WHERE i.product_id = ?`, pid)
			outbox := queryInt(t, db, `SELECT COUNT(*) FROM order_outbox x JOIN order_items i ON i.order_id = x.order_id WHERE i.product_id = ?`, pid)
			if paid != tc.want || pays != tc.want || outbox != tc.want {
				t.Fatalf("paid orders %d, payments %d, outbox rows %d; want %d each (rolled-back payers must leave nothing)", paid, pays, outbox, tc.want)
			}
		})
	}
}

func TestCloserClosesExpiredAndRestoresReservedStock(t *testing.T) {
	db := newTestDB(t)
	now := time.Now()
	clock := func() time.Time { return now }
	s := newTestService(t, db, WithClock(func() time.Time { return clock() }))
	ctx := context.Background()
	pid := addProduct(t, db, "flash-1", "1.00", 10)
	regular := addProduct(t, db, "reg-1", "60.00", 10)

	// Two flash-sale orders reserve 2 units; one regular order reserves nothing; a third flash
	// order gets paid and must stay untouched by the closer.
	var flashIDs []uint64
	for i := 1; i <= 3; i++ {
		id, created, err := s.CreateFlashSaleOrder(ctx, orderflow.FlashSaleWin{SaleID: 1, ProductID: pid, UserID: uint64(i), RequestID: "r" + string(rune('0'+i)), Price: "1.00"})
		if err != nil || !created {
			t.Fatalf("flash order %d: %v created=%v", i, err, created)
		}
		flashIDs = append(flashIDs, id)
	}
	if _, err := s.Pay(ctx, flashIDs[2], "wechat"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO coupons (id, user_id, code, kind, amount, min_spend, valid_until, created_at)
		VALUES (900, 7, 'C900', 'cash', 5.00, 50.00, '2099-01-01', UTC_TIMESTAMP(3))`); err != nil {
		t.Fatal(err)
	}
	reg, err := s.Create(ctx, CreateRequest{UserID: 7, CouponID: 900, Items: []ItemRequest{{ProductID: regular, Quantity: 1}}, Address: addr})
	if err != nil || reg.PayAmount != 5500 {
		t.Fatalf("create with coupon: %+v %v (want pay amount 55.00)", reg, err)
	}
	if got := queryInt(t, db, `SELECT stock FROM products WHERE id = ?`, pid); got != 7 {
		t.Fatalf("flash stock after 3 reservations = %d, want 7", got)
	}
	if n, err := s.CloseExpired(ctx, 100); err != nil || n != 0 {
		t.Fatalf("closer before the deadline closed %d (%v), want 0", n, err)
	}
	clock = func() time.Time { return now.Add(DefaultConfig().OrderTTL + time.Second) }
	// Batches of 1 show the bound: three rounds for the three expired orders.
	total := 0
	for round := 0; round < 5; round++ {
		n, err := s.CloseExpired(ctx, 1)
		if err != nil || n > 1 {
			t.Fatalf("round %d closed %d: %v", round, n, err)
		}
		total += n
	}
	checks := []struct {
		q    string
		args []any
		want int
	}{
		{`SELECT COUNT(*) FROM orders WHERE status = 'closed' AND closed_at IS NOT NULL`, nil, 3},
		{`SELECT stock FROM products WHERE id = ?`, []any{pid}, 9}, // 2 reservations restored, 1 paid
		{`SELECT stock FROM products WHERE id = ?`, []any{regular}, 10},
		{`SELECT COUNT(*) FROM coupons WHERE id = 900 AND status = 'unused' AND used_order_id IS NULL`, nil, 1},
		{`SELECT COUNT(*) FROM orders WHERE id = ? AND status = 'paid'`, []any{flashIDs[2]}, 1},
	}
	if total != 3 {
		t.Fatalf("closed %d orders, want 3", total)
	}
	for _, c := range checks {
		if got := queryInt(t, db, c.q, c.args...); got != c.want {
			t.Errorf("%s %v = %d, want %d", c.q, c.args, got, c.want)
		}
	}
}

func TestFlashSaleOrderIdempotentByRequestID(t *testing.T) {
	db := newTestDB(t)
	s := newTestService(t, db)
	pid := addProduct(t, db, "fs", "9.90", 1)
	win := orderflow.FlashSaleWin{SaleID: 3, ProductID: pid, UserID: 5, RequestID: "abc", Price: "9.90"}
	id1, created1, err1 := s.CreateFlashSaleOrder(context.Background(), win)
	id2, created2, err2 := s.CreateFlashSaleOrder(context.Background(), win)
	if err1 != nil || err2 != nil || !created1 || created2 || id1 != id2 {
		t.Fatalf("first (%d, %v, %v), second (%d, %v, %v): want same order, created once", id1, created1, err1, id2, created2, err2)
	}
	win.RequestID, win.UserID = "def", 6
	if _, _, err := s.CreateFlashSaleOrder(context.Background(), win); !errors.Is(err, ErrOutOfStock) {
		t.Fatalf("second unit of a 1-unit product: %v, want ErrOutOfStock", err)
	}
	if n := queryInt(t, db, `SELECT COUNT(*) FROM orders`); n != 1 {
		t.Fatalf("%d orders, want 1", n)
	}
}

func TestRefundAndCancelRestoreState(t *testing.T) {
	db := newTestDB(t)
	s := newTestService(t, db)
	ctx := context.Background()
	pid := addProduct(t, db, "rc", "3.00", 5)
	a, _ := s.Create(ctx, CreateRequest{UserID: 1, Items: []ItemRequest{{ProductID: pid, Quantity: 2}}, Address: addr})
	b, _ := s.Create(ctx, CreateRequest{UserID: 1, Items: []ItemRequest{{ProductID: pid, Quantity: 1}}, Address: addr})
	if _, err := s.Pay(ctx, a.ID, "alipay"); err != nil {
		t.Fatal(err)
	}
	if err := s.Refund(ctx, a.ID, "changed my mind"); err != nil {
		t.Fatal(err)
	}
	if err := s.Cancel(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if got := queryInt(t, db, `SELECT stock FROM products WHERE id = ?`, pid); got != 5 {
		t.Fatalf("stock after pay+refund and cancel = %d, want 5", got)
	}
	ga, _ := s.Get(ctx, a.ID)
	gb, _ := s.Get(ctx, b.ID)
	if ga.Status != StatusRefunded || gb.Status != StatusCancelled || gb.ClosedAt == nil || len(ga.Items) != 1 {
		t.Fatalf("statuses %s/%s closed_at %v items %d", ga.Status, gb.Status, gb.ClosedAt, len(ga.Items))
	}
	if n := queryInt(t, db, `SELECT COUNT(*) FROM refunds WHERE order_id = ? AND amount = 6.00`, a.ID); n != 1 {
		t.Fatalf("refund rows %d, want 1", n)
	}
	list, err := s.ListByUser(ctx, 1, 10)
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %d orders, %v", len(list), err)
	}
}

func TestOutboxResendsAfterBrokerFailure(t *testing.T) {
	db := newTestDB(t)
	pub := &publishtest.Publisher{}
	pub.SetFail(2)
	relay, err := NewRelay(db, pub, RelayConfig{SweepInterval: time.Second, RetryAfter: 0, Batch: 10}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := newTestService(t, db, WithRelay(relay))
	ctx := context.Background()
	pid := addProduct(t, db, "ob", "2.00", 5)
	var ids []uint64
	for i := 0; i < 3; i++ {
		o, _ := s.Create(ctx, CreateRequest{UserID: 9, Items: []ItemRequest{{ProductID: pid, Quantity: 1}}, Address: addr})
		res, err := s.Pay(ctx, o.ID, "card")
		if err != nil {
			t.Fatal(err)
		}
		if res.MessageSent != (i == 2) {
			t.Fatalf("pay %d: message sent = %v with the broker failing twice", i, res.MessageSent)
		}
		ids = append(ids, o.ID)
	}
	if n := queryInt(t, db, `SELECT COUNT(*) FROM order_outbox WHERE sent_at IS NULL`); n != 2 {
		t.Fatalf("unsent outbox rows %d, want 2", n)
	}
	if n, err := relay.Sweep(ctx); err != nil || n != 2 {
		t.Fatalf("sweep sent %d, %v; want 2", n, err)
	}
	if n := queryInt(t, db, `SELECT COUNT(*) FROM order_outbox WHERE sent_at IS NULL`); n != 0 {
		t.Fatalf("unsent outbox rows after sweep %d, want 0", n)
	}
	seen := map[uint64]bool{}
	for _, m := range pub.Stored() {
		p, err := orderflow.DecodeOrderPaid(m.Body)
		if err != nil || m.Topic != orderflow.TopicOrderPaySuccess {
			t.Fatalf("stored message %q on %s: %v", m.Body, m.Topic, err)
		}
		seen[p.OrderID] = true
	}
	for _, id := range ids {
		if !seen[id] {
			t.Fatalf("order %d's message never stored", id)
		}
	}
	if _, err := NewRelay(db, &oneWay{}, DefaultRelayConfig(), nil, nil); !errors.Is(err, ErrConfig) {
		t.Fatalf("one-way relay: %v, want ErrConfig", err)
	}
}

type oneWay struct{ publishtest.Publisher }

func (*oneWay) Mode() publish.Mode { return publish.ModeOneWay }
