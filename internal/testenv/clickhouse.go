package testenv

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// ClickHouseOptions returns clickhouse-go options for the stack's ClickHouse
// (native protocol, user default without password) with db as default
// database ("" for "default"). The read timeout matters: on ClickHouse 18.16
// some statements (inline INSERT ... VALUES) hang until it expires.
func (s *Stack) ClickHouseOptions(db string) *clickhouse.Options {
	if db == "" {
		db = "default"
	}
	return &clickhouse.Options{
		Addr:        []string{s.ClickHouseAddr},
		Auth:        clickhouse.Auth{Database: db, Username: "default"},
		DialTimeout: 5 * time.Second,
		ReadTimeout: 60 * time.Second,
	}
}

// OpenClickHouse opens a native connection to the default database; it is
// pinged (fatal on failure) and closed at cleanup. Qualify table names with
// the database from NewClickHouseDatabase, or use OpenClickHouseDatabase.
func (s *Stack) OpenClickHouse(t testing.TB) driver.Conn {
	t.Helper()
	return s.OpenClickHouseDatabase(t, "")
}

// OpenClickHouseDatabase is OpenClickHouse with db as default database.
func (s *Stack) OpenClickHouseDatabase(t testing.TB, db string) driver.Conn {
	t.Helper()
	conn, err := clickhouse.Open(s.ClickHouseOptions(db))
	if err != nil {
		t.Fatalf("testenv: open clickhouse: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := conn.Ping(ctx); err != nil {
		t.Fatalf("testenv: connect to clickhouse at %s: %v (is the stack up? run: scripts/stack status)", s.ClickHouseAddr, err)
	}
	return conn
}

var (
	chAdminMu sync.Mutex
	chAdmin   driver.Conn
)

func (s *Stack) clickHouseAdmin() (driver.Conn, error) {
	chAdminMu.Lock()
	defer chAdminMu.Unlock()
	if chAdmin != nil {
		return chAdmin, nil
	}
	conn, err := clickhouse.Open(s.ClickHouseOptions(""))
	if err != nil {
		return nil, err
	}
	chAdmin = conn
	return conn, nil
}

// NewClickHouseDatabase creates a fresh, uniquely named ClickHouse database
// and drops it at cleanup (unless FERRY_KEEP_TEST_DBS is set).
func (s *Stack) NewClickHouseDatabase(t testing.TB) string {
	t.Helper()
	conn, err := s.clickHouseAdmin()
	if err != nil {
		t.Fatalf("testenv: open clickhouse: %v", err)
	}
	name := UniqueName(testPrefix(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("testenv: create clickhouse database %s: %v (is the stack up? run: scripts/stack status)", name, err)
	}
	t.Cleanup(func() {
		if keepDatabases(t, "clickhouse", name) {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
			t.Logf("testenv: drop clickhouse database %s: %v", name, err)
		}
	})
	return name
}

// WaitMergesIdle waits (up to a minute) until ClickHouse runs no background merge, so that a
// benchmark's timed part is not charged with the merges of parts an earlier run wrote (what
// names the timed part in the log). The raw ClickHouse rate still swung from 405k to 941k
// rows/s between runs of 2026-12-07 with this wait: the machine's load, not the merges.
func (s *Stack) WaitMergesIdle(ctx context.Context, t testing.TB, what string) {
	t.Helper()
	conn := s.OpenClickHouse(t)
	t0 := time.Now()
	for time.Since(t0) < time.Minute {
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM system.merges").Scan(&n); err != nil {
			t.Fatalf("read ClickHouse merges: %v", err)
		}
		if n == 0 {
			t.Logf("%s: ClickHouse merges idle after %s", what, time.Since(t0).Round(time.Millisecond))
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("%s: ClickHouse merges still running after a minute; timing anyway", what)
}
