package mysqlsink

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// columnsOf lists a copy table's columns ("error: ..." if unreadable).
func columnsOf(t *testing.T, s *Sink, db, table string) string {
	t.Helper()
	ct, err := s.loadTable(context.Background(), db, table)
	if err != nil {
		return "error: " + err.Error()
	}
	return strings.Join(ct.Columns, ",")
}

// TestApplyDDL applies a sequence of source DDL statements to a copy and checks the copy's
// columns, keys, views, tombstones and the once-per-version record after each.
func TestApplyDDL(t *testing.T) {
	s, copyDB, viewDB := openTestSink(t)
	ctx := context.Background()
	orders := &sink.Table{Database: "shop", Name: "orders", PK: []string{"id"}, Columns: []sink.Column{
		{Name: "id", MySQLType: "bigint(20) unsigned"}, {Name: "name", MySQLType: "varchar(20)"}, {Name: "qty", MySQLType: "int(11)"}}}
	mustApply := func(rows ...sink.Row) {
		t.Helper()
		if err := s.Apply(ctx, &sink.Batch{Rows: rows}); err != nil {
			t.Fatalf("apply: %v", err)
		}
	}
	mustApply(sinktest.Row(orders, sink.OpInsert, 10, map[string]string{"id": "1", "name": "a", "qty": "5"}),
		sinktest.Row(orders, sink.OpInsert, 11, map[string]string{"id": "2", "name": "b", "qty": "6"}))

	steps := []sinktest.DDLStep{
		{Name: "add column and unique key", DDL: sink.DDL{Kind: "ALTER", Version: 20, SQL: "ALTER TABLE orders ADD COLUMN note VARCHAR(32) NOT NULL DEFAULT 'x' AFTER name, ADD UNIQUE KEY uk_name (name)"}, Want: "id,name,note,qty"},
		{Name: "same version again is a no-op", DDL: sink.DDL{Kind: "ALTER", Version: 20, SQL: "ALTER TABLE orders ADD COLUMN note VARCHAR(32)"}, Want: "id,name,note,qty"},
		{Name: "already applied under a new version", DDL: sink.DDL{Kind: "ALTER", Version: 21, SQL: "ALTER TABLE shop.orders ADD COLUMN note VARCHAR(32)"}, Want: "id,name,note,qty"},
		{Name: "drop column", DDL: sink.DDL{Kind: "ALTER", Version: 30, SQL: "ALTER TABLE `orders` DROP COLUMN qty"}, Want: "id,name,note"},
		{Name: "rename column", DDL: sink.DDL{Kind: "ALTER", Version: 40, SQL: "ALTER TABLE orders RENAME COLUMN name TO title"}, Want: "id,title,note"},
		{Name: "index changes ignored", DDL: sink.DDL{Kind: "CINDEX", Version: 45, SQL: "CREATE INDEX ix ON orders (title)"}, Want: "id,title,note"},
		{Name: "primary key change halts", DDL: sink.DDL{Kind: "ALTER", Version: 50, SQL: "ALTER TABLE orders DROP PRIMARY KEY"}, WantErr: sink.ErrDDLHalt},
		{Name: "drop table halts by policy", DDL: sink.DDL{Kind: "ERASE", Version: 60, SQL: "DROP TABLE orders"}, WantErr: sink.ErrDDLHalt},
		{Name: "unparsable halts", DDL: sink.DDL{Kind: "ALTER", Version: 70, SQL: "ALTER TABLE orders ADD COLUMN c INT WAIT 5 FROBNICATE"}, WantErr: sink.ErrDDLHalt},
		{Name: "create table", DDL: sink.DDL{Kind: "CREATE", Version: 80, SQL: "CREATE TABLE refunds (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, refund_no CHAR(24) NOT NULL, amount DECIMAL(12,2) NOT NULL, UNIQUE KEY uk (refund_no))"}},
	}
	sinktest.RunDDLSteps(t, steps, s.ApplyDDL, func(t *testing.T) string { return columnsOf(t, s, copyDB, "orders") })

	// The copy has no unique keys: two rows with the same title are fine.
	after := &sink.Table{Database: "shop", Name: "orders", PK: []string{"id"}, Columns: []sink.Column{
		{Name: "id", MySQLType: "bigint(20) unsigned"}, {Name: "title", MySQLType: "varchar(20)"}, {Name: "note", MySQLType: "varchar(32)"}}}
	mustApply(sinktest.Row(after, sink.OpInsert, 90, map[string]string{"id": "3", "title": "a"}))
	// A late row in the old shape (with the dropped qty column) still applies.
	mustApply(sinktest.Row(orders, sink.OpUpdate, 91, map[string]string{"id": "2", "name": "old-shape", "qty": "7"}))

	var n int
	if err := s.DB().QueryRow(fmt.Sprintf("SELECT COUNT(*) FROM `%s`.`orders` WHERE title = 'a'", viewDB)).Scan(&n); err != nil || n != 2 {
		t.Fatalf("view rows with title a = %d (%v), want 2", n, err)
	}
	if err := s.DB().QueryRow(fmt.Sprintf("SELECT COUNT(*) FROM `%s`.`refunds`", viewDB)).Scan(&n); err != nil {
		t.Fatalf("view of the created table: %v", err)
	}
	if err := s.DB().QueryRow(fmt.Sprintf("SELECT COUNT(*) FROM `%s`.`%s`", copyDB, sink.DDLAppliedTable)).Scan(&n); err != nil || n != 6 {
		t.Fatalf("recorded ddl versions = %d (%v), want 6 (20, 21, 30, 40, 45, 80)", n, err)
	}
	// The operator skips the halted DROP TABLE; applying it again is then a no-op.
	if err := s.SkipDDL(ctx, "shop", 60, "test"); err != nil {
		t.Fatal(err)
	}
	if err := s.ApplyDDL(ctx, &sink.DDL{Database: "shop", Kind: "ERASE", Version: 60, SQL: "DROP TABLE orders"}); err != nil {
		t.Fatalf("ApplyDDL after skip: %v", err)
	}
}

// TestTruncateTombstones checks that TRUNCATE becomes a version-guarded tombstone sweep: rows
// older than the TRUNCATE die (also when replayed later), newer rows survive.
func TestTruncateTombstones(t *testing.T) {
	s, _, viewDB := openTestSink(t)
	ctx := context.Background()
	tb := &sink.Table{Database: "shop", Name: "points", PK: []string{"id"}, Columns: []sink.Column{
		{Name: "id", MySQLType: "int(11)"}, {Name: "v", MySQLType: "int(11)"}}}
	apply := func(rows ...sink.Row) {
		t.Helper()
		if err := s.Apply(ctx, &sink.Batch{Rows: rows}); err != nil {
			t.Fatal(err)
		}
	}
	apply(sinktest.Row(tb, sink.OpInsert, 10, map[string]string{"id": "1", "v": "1"}),
		sinktest.Row(tb, sink.OpInsert, 11, map[string]string{"id": "2", "v": "2"}),
		sinktest.Row(tb, sink.OpInsert, 30, map[string]string{"id": "3", "v": "3"})) // written after the TRUNCATE below (replayed early)
	if err := s.ApplyDDL(ctx, &sink.DDL{Database: "shop", Kind: "TRUNCATE", Version: 20, SQL: "TRUNCATE TABLE points"}); err != nil {
		t.Fatal(err)
	}
	apply(sinktest.Row(tb, sink.OpUpdate, 12, map[string]string{"id": "1", "v": "99"}), // replay from before the TRUNCATE
		sinktest.Row(tb, sink.OpInsert, 31, map[string]string{"id": "4", "v": "4"}))
	rows, err := s.DB().Query(fmt.Sprintf("SELECT id FROM `%s`.`points` ORDER BY id", viewDB))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if got := strings.Join(ids, ","); got != "3,4" {
		t.Fatalf("live ids after TRUNCATE = %s, want 3,4", got)
	}
}
