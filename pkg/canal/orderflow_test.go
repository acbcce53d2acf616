package canal

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/pkg/checkpoint"
	"github.com/ferry-cdc/ferry/pkg/publish/publishtest"
)

// orderFlowDDL are the order flow's tables and their starting rows: orders, items, stock (50 hot
// SKUs) and customers (97 rows). Every transaction of orderFlowLoad touches all four, with
// inserts, updates and deletes mixed, as a shop's order service does.
var orderFlowDDL = []string{
	`CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id INT, status VARCHAR(16), total DECIMAL(12,2))`,
	`CREATE TABLE items (id BIGINT PRIMARY KEY, order_id BIGINT, sku INT, qty INT)`,
	`CREATE TABLE stock (sku INT PRIMARY KEY, qty INT)`,
	`CREATE TABLE customers (id INT PRIMARY KEY, orders INT)`,
	`INSERT INTO stock SELECT seq, 1000000 FROM seq_0_to_49`,
	`INSERT INTO customers SELECT seq, 0 FROM seq_0_to_96`,
}

// orderFlowLoad runs n order transactions (orders first..first+n-1) in one server-side loop, so
// the binlog gets many small transactions quickly. Each transaction: INSERT orders (1 row),
// INSERT items (3 rows), UPDATE stock (3 hot rows), UPDATE customers (1 row), and from the 11th
// order on UPDATE the order 10 before (status) and DELETE one of its items: 10 row changes.
func orderFlowLoad(first, n int) string {
	return fmt.Sprintf(`BEGIN NOT ATOMIC
  DECLARE i BIGINT DEFAULT %d;
  WHILE i < %d DO
    START TRANSACTION;
    INSERT INTO orders VALUES (i, i %% 97, 'new', i * 1.25);
    INSERT INTO items VALUES (i * 3, i, i %% 50, 1), (i * 3 + 1, i, (i + 7) %% 50, 2), (i * 3 + 2, i, (i + 19) %% 50, 3);
    UPDATE stock SET qty = qty - 1 WHERE sku IN (i %% 50, (i + 7) %% 50, (i + 19) %% 50);
    UPDATE customers SET orders = orders + 1 WHERE id = i %% 97;
    IF i >= %d THEN
      UPDATE orders SET status = 'paid' WHERE id = i - 10;
      DELETE FROM items WHERE id = (i - 10) * 3;
    END IF;
    COMMIT;
    SET i = i + 1;
  END WHILE;
END`, first, first+n, first+10)
}

// orderFlowRows is the number of row changes orderFlowLoad(first, n) writes.
func orderFlowRows(n int) int { return 8*n + 2*max(n-10, 0) }

// TestOrderFlowDenseMessages replays an order-flow binlog (many small transactions, four tables,
// inserts, updates and deletes mixed in each) through the tailer: the rows must arrive exactly
// once, one key's changes on one queue in binlog order, and packed densely (the old one-open-
// message-per-queue batcher gave about 1.1 rows per message on this shape).
func TestOrderFlowDenseMessages(t *testing.T) {
	st, dbName, src := newSourceDB(t, orderFlowDDL...)
	cfg := testConfig(t, st, dbName)
	// A window long enough to hold many transactions even under -race on a loaded machine: the
	// old batcher's 1.1 rows per message did not depend on the window (it cut at every change of
	// table or operation), the dense grouping's figure does.
	cfg.FlushInterval = 500 * time.Millisecond
	h, err := SourceHead(context.Background(), &cfg)
	if err != nil {
		t.Fatal(err)
	}
	const txs = 1500
	mustExec(t, src, orderFlowLoad(1, txs))
	want := orderFlowRows(txs)
	mt := startMem(t, cfg, 8, &checkpoint.State{File: h.File, Pos: h.Pos})
	mt.waitRows(t, want, 120*time.Second)
	time.Sleep(200 * time.Millisecond) // anything beyond want would be a duplicate
	recs := mt.rec.Snapshot()
	rows, _ := publishtest.Flatten(recs)
	if len(rows) != want {
		t.Fatalf("published %d row changes, want exactly %d", len(rows), want)
	}
	publishtest.CheckOrder(t, rows)
	replay(t, rows) // fails on one (key, version, op) published twice with different data
	msgs := 0
	for _, r := range recs {
		if !r.Msg.IsDDL {
			msgs++
		}
	}
	perMsg := float64(len(rows)) / float64(msgs)
	t.Logf("order flow: %d row changes in %d messages, %.2f rows per message", len(rows), msgs, perMsg)
	if perMsg < 4 {
		t.Errorf("%.2f rows per message, want >= 4: the batcher does not group an order flow's rows", perMsg)
	}
}
