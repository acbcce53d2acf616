package chsink

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// TestInsertsOnBusyCPU applies many small batches one after another while goroutines keep
// every core busy, as the replayer does on a saturated machine. Each insert's deadline context
// is cancelled right after it; clickhouse-go's context watchdog used to pick that cancel when
// it ran late and close the connection it had already released to the pool, so a later insert
// failed with "use of closed network connection" (third_party/clickhouse-go/FERRY-PATCH.md,
// section 2). No insert may fail.
func TestInsertsOnBusyCPU(t *testing.T) {
	s, _, _ := openTestSink(t)
	ctx := context.Background()
	tbl := &sink.Table{Database: "shop", Name: "busy_cpu", PK: []string{"id"},
		Columns: []sink.Column{{Name: "id", MySQLType: "int(11)"}}}
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 4 * runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for x := 0; !stop.Load(); x++ {
				if x%1_000_000 == 0 {
					runtime.Gosched()
				}
			}
		})
	}
	defer func() { stop.Store(true); wg.Wait() }()
	const inserts = 300
	for i := range inserts {
		row := sinktest.Row(tbl, sink.OpInsert, uint64(i+1), map[string]string{"id": strconv.Itoa(i)})
		if err := s.Apply(ctx, &sink.Batch{Rows: []sink.Row{row}}); err != nil {
			t.Fatalf("insert %d of %d: %v", i+1, inserts, err)
		}
	}
}
