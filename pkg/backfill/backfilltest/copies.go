// Package backfilltest sets up sources and copies for backfill, verify and report tests: fresh
// copy databases on both sinks, deterministic order data, and a direct loader that backfills a
// source database into the copies through the real sinks (no RocketMQ).
package backfilltest

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/backfill"
	fsink "github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/chsink"
	"github.com/ferry-cdc/ferry/pkg/sink/mysqlsink"
)

// Copies are a MySQL copy and a ClickHouse copy in fresh databases, with open sinks and
// connections for reading them.
type Copies struct {
	MySQLSink            *mysqlsink.Sink
	CHSink               *chsink.Sink
	MySQLCopy, MySQLLive string  // copy and view databases on the MySQL copy server
	CHCopy, CHLive       string  // copy and view databases on ClickHouse
	MySQL                *sql.DB // copy server, time_zone +00:00
	CH                   *sql.DB // ClickHouse, database/sql
}

// NewCopies creates fresh copy databases and opens both sinks on them (closed at cleanup).
func NewCopies(t testing.TB, st *testenv.Stack) *Copies {
	t.Helper()
	ctx := context.Background()
	c := &Copies{MySQLCopy: st.NewCopyDatabase(t), MySQLLive: st.NewCopyDatabase(t),
		CHCopy: st.NewClickHouseDatabase(t), CHLive: st.NewClickHouseDatabase(t)}
	mcfg := mysqlsink.DefaultConfig()
	mcfg.DSN = st.CopyDSN("")
	mcfg.CopyDatabase, mcfg.ViewDatabase = c.MySQLCopy, c.MySQLLive
	ms, err := mysqlsink.Open(ctx, mcfg, nil)
	if err != nil {
		t.Fatalf("open mysql sink: %v", err)
	}
	t.Cleanup(func() { ms.Close() })
	ccfg := chsink.DefaultConfig()
	ccfg.Addr = st.ClickHouseAddr
	ccfg.CopyDatabase, ccfg.ViewDatabase = c.CHCopy, c.CHLive
	cs, err := chsink.Open(ctx, ccfg, nil)
	if err != nil {
		t.Fatalf("open clickhouse sink: %v", err)
	}
	t.Cleanup(func() { cs.Close() })
	c.MySQLSink, c.CHSink = ms, cs
	c.MySQL, err = mysqlsink.OpenDB(st.CopyDSN(""))
	if err != nil {
		t.Fatalf("open copy: %v", err)
	}
	t.Cleanup(func() { c.MySQL.Close() })
	c.CH = OpenClickHouse(st, "")
	t.Cleanup(func() { c.CH.Close() })
	return c
}

// OpenClickHouse opens ClickHouse as a database/sql pool with db as default database.
func OpenClickHouse(st *testenv.Stack, db string) *sql.DB {
	opts := st.ClickHouseOptions(db)
	opts.ReadTimeout = 2 * time.Minute
	return clickhouse.OpenDB(opts)
}

// OpenSource opens the source as backfill does (text values, UTC sessions).
func OpenSource(t testing.TB, st *testenv.Stack) *sql.DB {
	t.Helper()
	db, err := backfill.OpenSource(st.SourceDSN(""))
	if err != nil {
		t.Fatalf("open source: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Load backfills every table of source database srcDB into both copies directly (no RocketMQ)
// at the current binlog position, with epoch 0.
func (c *Copies) Load(t testing.TB, src *sql.DB, srcDB string) {
	t.Helper()
	c.LoadChunks(t, src, srcDB, 2000)
}

// LoadChunks is Load with chunkRows rows per backfill chunk.
func (c *Copies) LoadChunks(t testing.TB, src *sql.DB, srcDB string, chunkRows int) {
	t.Helper()
	cfg := backfill.DefaultConfig()
	cfg.CheckpointDir = t.TempDir()
	cfg.ChunkRows = chunkRows
	b, err := backfill.New(cfg, src, &SinkPublisher{Sinks: []fsink.Sink{c.MySQLSink, c.CHSink}}, nil, nil, nil)
	if err != nil {
		t.Fatalf("new backfill: %v", err)
	}
	ctx := context.Background()
	tables, err := b.Tables(ctx, []string{srcDB})
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	for _, tb := range tables {
		if _, err := b.Table(ctx, tb); err != nil {
			t.Fatalf("backfill %s: %v", tb, err)
		}
	}
}
