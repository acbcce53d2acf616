package mysqlsink

import (
	"context"
	"testing"

	"github.com/ferry-cdc/ferry/internal/testenv"
)

// openTestSink opens a sink on fresh copy and view databases (dropped at cleanup).
func openTestSink(t testing.TB) (*Sink, string, string) {
	t.Helper()
	st := testenv.Get(t)
	cfg := DefaultConfig()
	cfg.DSN = st.CopyDSN("")
	cfg.CopyDatabase = st.NewCopyDatabase(t)
	cfg.ViewDatabase = st.NewCopyDatabase(t)
	s, err := Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("open mysql sink: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, cfg.CopyDatabase, cfg.ViewDatabase
}
