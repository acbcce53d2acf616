package canal

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ferry-cdc/ferry/pkg/publish/publishtest"
)

type sqlBeginner interface {
	BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
}

// randomTx runs one transaction of 1-5 random inserts, updates (some changing the primary key)
// and deletes on table acct (ids 1..keys).
func randomTx(ctx context.Context, src sqlBeginner, rng *rand.Rand, keys int) error {
	tx, err := src.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for j := 0; j < 1+rng.IntN(5); j++ {
		id := 1 + rng.IntN(keys)
		var q string
		switch rng.IntN(10) {
		case 0, 1, 2, 3:
			q = fmt.Sprintf("INSERT INTO acct (id, bal, note) VALUES (%d, %d.%02d, 'n%d') ON DUPLICATE KEY UPDATE bal = bal + 1", id, rng.IntN(1000), rng.IntN(100), id)
		case 4, 5, 6:
			q = fmt.Sprintf("UPDATE acct SET bal = bal - 0.01, note = CONCAT('u', %d) WHERE id = %d", rng.IntN(100), id)
		case 7:
			q = fmt.Sprintf("UPDATE IGNORE acct SET id = %d WHERE id = %d", 1+rng.IntN(keys), id) // PK change (if free)
		default:
			q = fmt.Sprintf("DELETE FROM acct WHERE id = %d", id)
		}
		if _, err := tx.ExecContext(ctx, q); err != nil {
			tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}

// TestEndToEndMixedWorkload runs canal.Run against the real broker: random transactions with
// PK-changing updates and deletes, a DDL mid-stream and a 100k-row transaction. Replaying the
// topic (per key, by version) must give exactly the source's tables, and each key's changes must
// stay on one queue in version order.
func TestEndToEndMixedWorkload(t *testing.T) {
	st, dbName, src := newSourceDB(t, "CREATE TABLE acct (id BIGINT PRIMARY KEY, bal DECIMAL(12,2), note VARCHAR(20))",
		"CREATE TABLE big (id INT PRIMARY KEY, v INT)")
	topic := st.NewTopic(t, 4)
	cfg := testConfig(t, st, dbName)
	cfg.Topic = topic
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, publishtest.Logger(t), prometheus.NewRegistry(), nil) }()
	t.Cleanup(func() { cancel(); <-done })
	reader := publishtest.ReadTopic(t, st, topic)

	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300; i++ {
		if err := randomTx(ctx, src, rng, 60); err != nil {
			t.Fatal(err)
		}
		if i == 150 {
			mustExec(t, src, "ALTER TABLE acct ADD COLUMN extra INT NULL AFTER bal")
			mustExec(t, src, "UPDATE acct SET extra = id * 2 WHERE id % 3 = 0")
		}
	}
	start := time.Now()
	mustExec(t, src, "INSERT INTO big SELECT seq, seq * 7 FROM seq_1_to_100000")
	mustExec(t, src, "UPDATE big SET v = v + 1 WHERE id % 1000 = 0", "DELETE FROM big WHERE id % 5000 = 1")
	rows := waitConverged(t, reader, src, map[string]string{"acct": "id", "big": "id"}, 180*time.Second)
	t.Logf("%d row changes converged; 100k-row transaction through the broker in %v", len(rows), time.Since(start))
	publishtest.CheckOrder(t, rows)
	_, ddl := reader.Ordered(t)
	if ddl != 4 {
		t.Errorf("DDL messages = %d, want 4 (one ALTER on each of 4 queues)", ddl)
	}
	select {
	case err := <-done:
		t.Fatalf("tailer stopped: %v", err)
	default:
	}
}
