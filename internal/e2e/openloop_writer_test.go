package e2e

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// lateAfter is how far behind its scheduled time a transaction may start before it counts as late.
const lateAfter = 50 * time.Millisecond

// Operation weights of the order flow's write requests (pkg/orderflow/load's default mix without
// its read-only queries): create 40, pay 35, cancel 5, refund 5.
const (
	wCreate, wPay, wCancel, wRefund = 40, 35, 5, 5
)

// txWriter replays the order flow's transaction shapes with plain SQL at a fixed rate (open
// loop: a transaction's start is set by the clock, not by the previous one's completion):
//   - create: INSERT orders + one multi-row INSERT order_items (1-3 lines);
//   - pay: UPDATE orders (paid) + UPDATE products stock per line + INSERT payments + INSERT order_outbox;
//   - cancel: UPDATE orders (cancelled);
//   - refund: UPDATE orders (refunded) + INSERT refunds + UPDATE products stock per line;
//
// each in one transaction, as pkg/orderflow/service writes them (without its locking reads).
// Every probeEvery-th transaction also inserts its probe id into the probe table.
type txWriter struct {
	db           *sql.DB // with writerDSNParams
	rate         float64
	workers      int
	perStatement bool // a round trip per statement instead of one per transaction
	probeEvery   int64
	products     []uint64
	probes       *probeLog

	mu      sync.Mutex
	rnd     *rand.Rand
	created []*olOrder // committed, unpaid
	paid    []*olOrder // committed, paid

	nextID                          atomic.Uint64
	committed, failed, late, missed atomic.Int64
	firstErr                        atomic.Pointer[string]
}

// olOrder is an order the writer created, with its lines.
type olOrder struct {
	id     uint64
	amount string
	lines  []olLine
}

type olLine struct {
	product uint64
	qty     int
	price   int // whole units
}

// olJob is one scheduled transaction.
type olJob struct {
	seq int64
	due time.Time
}

// writerStats is what one writer run did.
type writerStats struct {
	scheduled, committed, failed, late, missed int64
	start, end                                 time.Time
	firstErr                                   string
}

// run schedules rate*d transactions over d and waits for the started ones to finish.
func (w *txWriter) run(ctx context.Context, d time.Duration) writerStats {
	jobs := make(chan olJob, w.workers)
	var wg sync.WaitGroup
	for range w.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				w.do(ctx, j)
			}
		}()
	}
	start := time.Now().Add(20 * time.Millisecond)
	total := int64(w.rate * d.Seconds())
	for seq := int64(0); seq < total && ctx.Err() == nil; seq++ {
		due := start.Add(time.Duration(float64(seq) / w.rate * float64(time.Second)))
		if wait := time.Until(due); wait > time.Millisecond {
			time.Sleep(wait)
		}
		select {
		case jobs <- olJob{seq: seq, due: due}:
		default: // every worker busy and the queue full: the start is missed, not postponed
			w.missed.Add(1)
			w.probes.fail(w.probeID(seq))
		}
	}
	close(jobs)
	wg.Wait()
	st := writerStats{scheduled: total, committed: w.committed.Load(), failed: w.failed.Load(),
		late: w.late.Load(), missed: w.missed.Load(), start: start, end: start.Add(d)}
	if e := w.firstErr.Load(); e != nil {
		st.firstErr = *e
	}
	return st
}

// probeID is the probe id transaction seq writes, or 0 when it writes none.
func (w *txWriter) probeID(seq int64) int {
	if seq%w.probeEvery != 0 {
		return 0
	}
	return int(seq/w.probeEvery) + 1
}

// do runs one scheduled transaction and records its outcome.
func (w *txWriter) do(ctx context.Context, j olJob) {
	started := time.Now()
	if started.Sub(j.due) > lateAfter {
		w.late.Add(1)
	}
	probe := w.probeID(j.seq)
	op, o := w.pick()
	stmts := w.statements(op, o)
	if probe > 0 {
		stmts = append(stmts, fmt.Sprintf("INSERT INTO %s (id, written_at_us) VALUES (%d, %d)", olProbeTable, probe, started.UnixMicro()))
	}
	if err := w.exec(ctx, stmts); err != nil {
		w.failed.Add(1)
		msg := fmt.Sprintf("%s order %d: %v", op, o.id, err)
		w.firstErr.CompareAndSwap(nil, &msg)
		w.probes.fail(probe)
		w.putBack(op, o)
		return
	}
	w.probes.commit(probe, started, time.Now())
	w.committed.Add(1)
	w.remember(op, o)
}

// exec runs stmts in one transaction: by default as one multi-statement round trip
// ("BEGIN; s1; ...; COMMIT"), with perStatement as BEGIN, each statement and COMMIT apart.
func (w *txWriter) exec(ctx context.Context, stmts []string) error {
	if w.perStatement {
		return w.execPerStatement(ctx, stmts)
	}
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN;"+strings.Join(stmts, ";")+";COMMIT"); err != nil {
		// The server stops a batch at its first error, so the transaction may still be open on
		// this connection: roll it back, or drop the connection if even that fails.
		if _, rerr := conn.ExecContext(ctx, "ROLLBACK"); rerr != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		return fmt.Errorf("transaction of %d statements (first %s): %w", len(stmts), firstWords(stmts[0]), err)
	}
	return nil
}

// execPerStatement runs stmts in one transaction, a round trip each.
func (w *txWriter) execPerStatement(ctx context.Context, stmts []string) error {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("%s: %w", firstWords(s), err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// writerDSNParams makes a transaction one round trip (see exec).
const writerDSNParams = "&multiStatements=true"

func firstWords(s string) string {
	if f := strings.Fields(s); len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return s
}

// pick chooses the next operation by weight and takes the order it acts on out of the pools
// (so no two transactions act on one order); an operation without an order becomes a create.
func (w *txWriter) pick() (string, *olOrder) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := w.rnd.IntN(wCreate + wPay + wCancel + wRefund)
	switch {
	case n >= wCreate && n < wCreate+wPay && len(w.created) > 0:
		return "pay", take(w.rnd, &w.created)
	case n >= wCreate+wPay && n < wCreate+wPay+wCancel && len(w.created) > 0:
		return "cancel", take(w.rnd, &w.created)
	case n >= wCreate+wPay+wCancel && len(w.paid) > 0:
		return "refund", take(w.rnd, &w.paid)
	}
	return "create", w.newOrder()
}

// take removes and returns a random element of *list.
func take(rnd *rand.Rand, list *[]*olOrder) *olOrder {
	l := *list
	i := rnd.IntN(len(l))
	o := l[i]
	l[i] = l[len(l)-1]
	*list = l[:len(l)-1]
	return o
}

// newOrder draws a new order of 1-3 lines (w.mu held).
func (w *txWriter) newOrder() *olOrder {
	o := &olOrder{id: w.nextID.Add(1)}
	total := 0
	for range 1 + w.rnd.IntN(3) {
		p := w.products[w.rnd.IntN(len(w.products))]
		if slices.ContainsFunc(o.lines, func(l olLine) bool { return l.product == p }) {
			continue
		}
		l := olLine{product: p, qty: 1 + w.rnd.IntN(3), price: 10 + int(p%90)}
		o.lines = append(o.lines, l)
		total += l.qty * l.price
	}
	slices.SortFunc(o.lines, func(a, b olLine) int { return int(a.product) - int(b.product) })
	o.amount = fmt.Sprintf("%d.00", total)
	return o
}

// remember puts a committed order into the pool its new state allows.
func (w *txWriter) remember(op string, o *olOrder) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch op {
	case "create":
		w.created = append(w.created, o)
	case "pay":
		w.paid = append(w.paid, o)
	}
}

// putBack returns the order of a failed transaction to its pool (a failed create is dropped).
func (w *txWriter) putBack(op string, o *olOrder) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch op {
	case "pay", "cancel":
		w.created = append(w.created, o)
	case "refund":
		w.paid = append(w.paid, o)
	}
}

// statements returns the SQL of op on order o, as pkg/orderflow/service's transactions write it.
func (w *txWriter) statements(op string, o *olOrder) []string {
	switch op {
	case "create":
		return []string{fmt.Sprintf(`INSERT INTO orders (id, order_no, user_id, status, total_amount, pay_amount,
			item_count, address, source, expire_at, created_at) VALUES (%d, 'O%023d', %d, 'created', %s, %s, %d,
			'{"city":"City %d","line1":"%d Main St","zip":"%05d"}', 'app', NOW(3) + INTERVAL 15 MINUTE, NOW(3))`,
			o.id, o.id, 1+o.id%200, o.amount, o.amount, len(o.lines), o.id%300, o.id%9999, o.id%99999), itemsInsert(o)}
	case "pay":
		s := []string{fmt.Sprintf("UPDATE orders SET status = 'paid', paid_at = NOW(3) WHERE id = %d AND status = 'created'", o.id)}
		s = append(s, stockUpdates(o, "-")...)
		return append(s, fmt.Sprintf(`INSERT INTO payments (id, order_id, pay_no, channel, amount, status, paid_at, created_at)
			VALUES (%d, %d, 'P%023d', 'alipay', %s, 'succeeded', NOW(3), NOW(3))`, o.id, o.id, o.id, o.amount),
			fmt.Sprintf(`INSERT INTO order_outbox (order_id, topic, msg_key, body, created_at) VALUES (%d, 'order-paid', '%d',
			'{"order_id":%d,"pay_amount":"%s","item_count":%d}', NOW(3))`, o.id, o.id, o.id, o.amount, len(o.lines)))
	case "cancel":
		return []string{fmt.Sprintf("UPDATE orders SET status = 'cancelled', closed_at = NOW(3) WHERE id = %d AND status = 'created'", o.id)}
	default: // refund
		s := []string{fmt.Sprintf("UPDATE orders SET status = 'refunded' WHERE id = %d AND status = 'paid'", o.id),
			fmt.Sprintf(`INSERT INTO refunds (order_id, payment_id, refund_no, amount, reason, status, created_at, refunded_at)
			VALUES (%d, %d, 'R%023d', %s, 'benchmark', 'succeeded', NOW(3), NOW(3))`, o.id, o.id, o.id, o.amount)}
		return append(s, stockUpdates(o, "+")...)
	}
}

// itemsInsert is the multi-row INSERT of o's lines.
func itemsInsert(o *olOrder) string {
	var sb strings.Builder
	sb.WriteString("INSERT INTO order_items (order_id, line_no, product_id, sku, product_name, unit_price, quantity, amount, created_at) VALUES ")
	for i, l := range o.lines {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, "(%d, %d, %d, 'SKU-%06d', 'Product %d', %d.00, %d, %d.00, NOW(3))",
			o.id, i+1, l.product, l.product, l.product, l.price, l.qty, l.price*l.qty)
	}
	return sb.String()
}

// stockUpdates changes the stock of every line of o (sign "-" takes, "+" gives back), in
// product-id order as the service does, so two transactions never lock products in opposite orders.
func stockUpdates(o *olOrder, sign string) []string {
	out := make([]string, 0, len(o.lines))
	for _, l := range o.lines {
		out = append(out, fmt.Sprintf("UPDATE products SET stock = stock %s %d WHERE id = %d", sign, l.qty, l.product))
	}
	return out
}
