package mysqlsink

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// openTestSink opens a sink on fresh copy and view databases (dropped at cleanup).
func openTestSink(t *testing.T) (*Sink, string, string) {
	t.Helper()
	port := os.Getenv("FERRY_COPY_PORT")
	if port == "" {
		port = "3308"
	}
	suffix := fmt.Sprintf("%d_%d", os.Getpid(), time.Now().UnixNano()%1e9)
	cfg := DefaultConfig()
	cfg.DSN = "ferry:ferry@tcp(127.0.0.1:" + port + ")/"
	cfg.CopyDatabase = "t_copy_" + suffix
	cfg.ViewDatabase = "t_live_" + suffix
	s, err := Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("open mysql sink (is the stack up? scripts/stack up): %v", err)
	}
	t.Cleanup(func() {
		for _, db := range []string{cfg.CopyDatabase, cfg.ViewDatabase} {
			_, _ = s.DB().Exec("DROP DATABASE IF EXISTS " + quote(db))
		}
		s.Close()
	})
	return s, cfg.CopyDatabase, cfg.ViewDatabase
}

var _ = sink.OpInsert
