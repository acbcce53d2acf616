package testenv

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/pkg/mq"
)

func TestSplitSQL(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"two statements", "CREATE TABLE a (x INT);\nINSERT INTO a VALUES (1);\n", []string{"CREATE TABLE a (x INT)", "INSERT INTO a VALUES (1)"}},
		{"no trailing semicolon", "SELECT 1", []string{"SELECT 1"}},
		{"semicolon in string", "INSERT INTO a VALUES ('x;y');SELECT 2", []string{"INSERT INTO a VALUES ('x;y')", "SELECT 2"}},
		{"escaped quote", `SELECT 'it\'s;' ; SELECT 'a''b;'`, []string{`SELECT 'it\'s;'`, `SELECT 'a''b;'`}},
		{"backticks and double quotes", "SELECT `a;b`, \"c;d\"; SELECT 3", []string{"SELECT `a;b`, \"c;d\"", "SELECT 3"}},
		{"line comments", "-- head; comment\nSELECT 1; # tail; here\n", []string{"-- head; comment\nSELECT 1"}},
		{"block comment", "/* a; b */ SELECT 1;", []string{"/* a; b */ SELECT 1"}},
		{"comment only", "-- nothing\n;\n/* x */;", nil},
		{"empty", " ; ;\n", nil},
		{"column comment", "CREATE TABLE t (x INT COMMENT 'k; v');", []string{"CREATE TABLE t (x INT COMMENT 'k; v')"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := SplitSQL(tc.in)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
				t.Fatalf("SplitSQL(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestUniqueName(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z0-9_]+$`)
	seen := map[string]bool{}
	for _, prefix := range []string{"orders", "Test/With-Odd Chars!", "", strings.Repeat("x", 200)} {
		for i := 0; i < 50; i++ {
			n := UniqueName(prefix)
			if seen[n] {
				t.Fatalf("UniqueName(%q) repeated %q", prefix, n)
			}
			seen[n] = true
			if !valid.MatchString(n) || len(n) > maxNameLen {
				t.Fatalf("UniqueName(%q) = %q: want [a-z0-9_]{1,%d}", prefix, n, maxNameLen)
			}
		}
	}
}

func TestReadEnvFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stack.env")
	body := "export FERRY_SOURCE_PORT=4407\nexport FERRY_STACK_DIR='/x/y'\n# comment\nbogus\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	got := readEnvFile(path)
	if got["FERRY_SOURCE_PORT"] != "4407" || got["FERRY_STACK_DIR"] != "/x/y" || len(got) != 2 {
		t.Fatalf("readEnvFile = %v", got)
	}
}

func TestRepoRoot(t *testing.T) {
	if _, err := os.Stat(filepath.Join(RepoRoot(), "go.mod")); err != nil {
		t.Fatalf("RepoRoot() = %s has no go.mod: %v", RepoRoot(), err)
	}
}

func TestMariaDBDatabases(t *testing.T) {
	s := Get(t)
	for _, tc := range []struct {
		name   string
		create func(testing.TB) string
		open   func(testing.TB, string) *sql.DB
	}{
		{"source", s.NewSourceDatabase, s.OpenSource},
		{"copy", s.NewCopyDatabase, s.OpenCopy},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := tc.create(t)
			db := tc.open(t, name)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := db.ExecContext(ctx, "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(32))"); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, "INSERT INTO t VALUES (1, ?)", "héllo ✓ 世界"); err != nil {
				t.Fatal(err)
			}
			var v, current string
			if err := db.QueryRowContext(ctx, "SELECT v, DATABASE() FROM t WHERE id = 1").Scan(&v, &current); err != nil {
				t.Fatal(err)
			}
			if v != "héllo ✓ 世界" || current != name {
				t.Fatalf("read back %q in %q, want unicode text in %q", v, current, name)
			}
		})
	}
}

func TestLoadOrderSchema(t *testing.T) {
	s := Get(t)
	name := s.NewSourceDatabase(t)
	db := s.OpenSource(t, name)
	LoadOrderSchema(t, db)
	script, err := os.ReadFile(filepath.Join(RepoRoot(), OrderSchemaPath))
	if err != nil {
		t.Fatal(err)
	}
	want := len(regexp.MustCompile(`(?im)^\s*CREATE TABLE`).FindAll(script, -1))
	var got int
	q := "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'"
	if err := db.QueryRow(q, name).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if want == 0 || got != want {
		t.Fatalf("%d tables in %s after loading the order schema, want %d", got, name, want)
	}
}

func TestClickHouseDatabase(t *testing.T) {
	s := Get(t)
	name := s.NewClickHouseDatabase(t)
	conn := s.OpenClickHouseDatabase(t, name)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := conn.Exec(ctx, "CREATE TABLE t (id UInt64) ENGINE = Memory"); err != nil {
		t.Fatal(err)
	}
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name = 't'", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("table t not found in %s", name)
	}
}

func TestNewTopic(t *testing.T) {
	s := Get(t)
	topic := s.NewTopic(t, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := mq.QueueCount(ctx, s.NameServer, topic)
	if err != nil || n != 4 {
		t.Fatalf("QueueCount(%s) = %d, %v; want 4", topic, n, err)
	}
}

func TestCPUSecondsReadsTheStack(t *testing.T) {
	st := Get(t)
	before := st.CPUSeconds()
	for _, name := range CPUServers {
		if _, ok := before[name]; !ok {
			t.Fatalf("no CPU time for %s: %v", name, before)
		}
	}
	db := st.OpenSource(t, "")
	for i := 0; i < 200; i++ {
		if _, err := db.Exec("SELECT BENCHMARK(20000, SHA2('x', 256))"); err != nil {
			t.Fatal(err)
		}
	}
	after := st.CPUSeconds()
	if after["source"] <= before["source"] {
		t.Fatalf("source CPU did not grow under load: %v -> %v", before["source"], after["source"])
	}
}
