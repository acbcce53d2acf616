package testenv

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // registers the "mysql" driver
)

// dsnParams are the connection parameters every test DSN uses: utf8mb4, DATETIME
// and TIMESTAMP as time.Time in UTC (the servers run with time_zone=+00:00).
const dsnParams = "collation=utf8mb4_unicode_ci&parseTime=true&loc=UTC&timeout=5s"

// SourceDSN returns a go-sql-driver/mysql DSN for the admin user on the source,
// with db as the default database ("" for none).
func (s *Stack) SourceDSN(db string) string {
	return fmt.Sprintf("%s:%s@tcp(%s)/%s?%s", s.AdminUser, s.AdminPassword, s.SourceAddr, db, dsnParams)
}

// ReplDSN returns a DSN for the replication user on the source.
func (s *Stack) ReplDSN(db string) string {
	return fmt.Sprintf("%s:%s@tcp(%s)/%s?%s", s.ReplUser, s.ReplPassword, s.SourceAddr, db, dsnParams)
}

// CopyDSN returns a DSN for the admin user on the copy server.
func (s *Stack) CopyDSN(db string) string {
	return fmt.Sprintf("%s:%s@tcp(%s)/%s?%s", s.AdminUser, s.AdminPassword, s.CopyAddr, db, dsnParams)
}

// OpenSource opens a pool to the source as the admin user with db as default
// database; it is pinged (fatal on failure) and closed at test cleanup.
func (s *Stack) OpenSource(t testing.TB, db string) *sql.DB {
	t.Helper()
	return openMySQL(t, "source", s.SourceDSN(db))
}

// OpenSourceWith is OpenSource with params (such as "&multiStatements=true") added to the DSN.
func (s *Stack) OpenSourceWith(t testing.TB, db, params string) *sql.DB {
	t.Helper()
	return openMySQL(t, "source", s.SourceDSN(db)+params)
}

// OpenCopy is OpenSource for the copy server.
func (s *Stack) OpenCopy(t testing.TB, db string) *sql.DB {
	t.Helper()
	return openMySQL(t, "copy", s.CopyDSN(db))
}

func openMySQL(t testing.TB, server, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatalf("testenv: open %s: %v", server, err)
	}
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("testenv: connect to %s MariaDB: %v (is the stack up? run: scripts/stack status)", server, err)
	}
	return db
}

var (
	adminMu    sync.Mutex
	adminPools = map[string]*sql.DB{}
)

// adminPool returns a process-wide pool without default database for DDL on
// the given server (never closed; it lives as long as the test binary).
func adminPool(dsn string) (*sql.DB, error) {
	adminMu.Lock()
	defer adminMu.Unlock()
	if db, ok := adminPools[dsn]; ok {
		return db, nil
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxIdleConns(2)
	adminPools[dsn] = db
	return db, nil
}

// NewSourceDatabase creates a fresh, uniquely named utf8mb4 database on the
// source and drops it at cleanup (unless FERRY_KEEP_TEST_DBS is set). The
// name starts with the test's name.
func (s *Stack) NewSourceDatabase(t testing.TB) string {
	t.Helper()
	return newMySQLDatabase(t, "source", s.SourceDSN(""))
}

// NewCopyDatabase is NewSourceDatabase on the copy server.
func (s *Stack) NewCopyDatabase(t testing.TB) string {
	t.Helper()
	return newMySQLDatabase(t, "copy", s.CopyDSN(""))
}

func newMySQLDatabase(t testing.TB, server, dsn string) string {
	t.Helper()
	db, err := adminPool(dsn)
	if err != nil {
		t.Fatalf("testenv: open %s: %v", server, err)
	}
	name := UniqueName(testPrefix(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	q := "CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
	if _, err := db.ExecContext(ctx, q); err != nil {
		t.Fatalf("testenv: create database %s on %s: %v (is the stack up? run: scripts/stack status)", name, server, err)
	}
	t.Cleanup(func() {
		if keepDatabases(t, server, name) {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			t.Logf("testenv: drop database %s on %s: %v", name, server, err)
		}
	})
	return name
}

// keepDatabases reports (and logs) whether FERRY_KEEP_TEST_DBS asks to keep
// test databases for inspection.
func keepDatabases(t testing.TB, server, name string) bool {
	if os.Getenv("FERRY_KEEP_TEST_DBS") == "" {
		return false
	}
	t.Logf("testenv: keeping database %s on %s (FERRY_KEEP_TEST_DBS is set)", name, server)
	return true
}

// testPrefix turns the test's name into a short database-name prefix.
func testPrefix(t testing.TB) string {
	name := t.Name()
	if i := strings.LastIndex(name, "/"); i >= 0 && i < len(name)-1 {
		name = name[:strings.Index(name, "/")] + "_" + name[i+1:]
	}
	name = strings.TrimPrefix(name, "Test")
	if len(name) > 30 {
		name = name[:30]
	}
	return name
}

// OrderSchemaPath is the order database's schema, relative to the repository root.
const OrderSchemaPath = "schemas/order-db.sql"

// LoadOrderSchema runs schemas/order-db.sql statement by statement on one
// connection of db (whose default database receives the tables).
func LoadOrderSchema(t testing.TB, db *sql.DB) {
	t.Helper()
	path := filepath.Join(RepoRoot(), OrderSchemaPath)
	script, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("testenv: read order schema: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatalf("testenv: load order schema: %v", err)
	}
	defer conn.Close()
	for i, stmt := range SplitSQL(string(script)) {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("testenv: %s statement %d (%s): %v", OrderSchemaPath, i+1, firstLine(stmt), err)
		}
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
