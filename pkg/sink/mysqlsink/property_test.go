package mysqlsink

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// TestPropertyConverges delivers random histories with duplicates, reordering and replays in
// random batch sizes and checks that the copy's view equals the source's final state.
func TestPropertyConverges(t *testing.T) {
	s, copyDB, viewDB := openTestSink(t)
	cases := []sinktest.ConvergeCase{
		{Name: "few-keys-many-collisions", Seed: 1, Events: 600, Keys: 12, MaxBatch: 40},
		{Name: "many-keys", Seed: 2, Events: 1500, Keys: 400, MaxBatch: 300},
		{Name: "single-row-batches", Seed: 3, Events: 300, Keys: 30, MaxBatch: 1},
	}
	sinktest.RunConvergence(t, cases, s.Apply, func(ctx context.Context, t *testing.T, table *sink.Table, h sinktest.History) {
		got := readLive(t, s.DB(), viewDB, table)
		var tomb uint64
		q := fmt.Sprintf("SELECT COUNT(*) FROM %s.%s WHERE _deleted = 1", quote(copyDB), quote(table.Name))
		if err := s.DB().QueryRowContext(ctx, q).Scan(&tomb); err != nil {
			t.Fatal(err)
		}
		sinktest.CheckConverged(t, copyDB, table, h.Final, got, tomb)
	})
}

// readLive reads a view into canonical event strings by key.
func readLive(t *testing.T, db *sql.DB, viewDB string, table *sink.Table) map[string][]*string {
	t.Helper()
	got, err := sinktest.ReadMySQL(context.Background(), db, viewDB, table)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestPropertyConcurrentAppliers applies one adversarial delivery from several goroutines at
// once, as overlapping replayers do during a rebalance: the version guard must still converge.
// Deadlocks between the transactions are retried, as the replayer retries failed batches.
func TestPropertyConcurrentAppliers(t *testing.T) {
	s, _, viewDB := openTestSink(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rng := rand.New(rand.NewPCG(5, 5))
	table := sinktest.PropTable("src", "prop_concurrent")
	h := sinktest.Generate(rng, table, 1200, 40)
	batches := sinktest.Deliver(rng, h.Rows, 60)
	const workers = 3
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(batches); i += workers {
				var err error
				for attempt := 0; attempt < 20; attempt++ {
					if err = s.Apply(ctx, batches[i]); err == nil || !isDeadlock(err) {
						break
					}
				}
				if err != nil {
					errs <- fmt.Errorf("batch %d: %w", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if d := sinktest.Diff(table, h.Final, readLive(t, s.DB(), viewDB, table)); d != "" {
		t.Fatalf("copy differs from source: %s", d)
	}
}

func isDeadlock(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205)
}
