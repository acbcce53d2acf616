package chsink

import (
	"context"
	"testing"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// openTestSink opens a sink on fresh copy and view databases (dropped at cleanup).
func openTestSink(t testing.TB) (*Sink, string, string) {
	t.Helper()
	st := testenv.Get(t)
	cfg := DefaultConfig()
	cfg.Addr = st.ClickHouseAddr
	cfg.CopyDatabase = st.NewClickHouseDatabase(t)
	cfg.ViewDatabase = st.NewClickHouseDatabase(t)
	s, err := Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("open clickhouse sink: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, cfg.CopyDatabase, cfg.ViewDatabase
}

// readLive reads a view into canonical event strings by key.
func readLive(t *testing.T, s *Sink, viewDB string, table *sink.Table) map[string][]*string {
	t.Helper()
	got, err := sinktest.ReadClickHouse(context.Background(), s.conn, viewDB, table)
	if err != nil {
		t.Fatal(err)
	}
	return got
}
