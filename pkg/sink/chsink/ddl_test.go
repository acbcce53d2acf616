package chsink

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// describe lists a copy table's columns with their ClickHouse types ("error: ..." if unreadable).
func describe(t *testing.T, s *Sink, db, table string) string {
	t.Helper()
	ct, err := s.loadTable(context.Background(), db, table)
	if err != nil {
		return "error: " + err.Error()
	}
	parts := make([]string, len(ct.Columns))
	for i, c := range ct.Columns {
		parts[i] = c + " " + ct.Types[c]
	}
	return strings.Join(parts, ", ")
}

// TestApplyDDL applies source DDL to a ClickHouse copy: column add/drop/modify are translated,
// index and constraint changes ignored, a version is applied once, RENAME COLUMN halts on
// servers without it, TRUNCATE inserts tombstones, CREATE TABLE makes a new copy table.
func TestApplyDDL(t *testing.T) {
	s, copyDB, viewDB := openTestSink(t)
	ctx := context.Background()
	orders := &sink.Table{Database: "shop", Name: "orders", PK: []string{"id"}, Columns: []sink.Column{
		{Name: "id", MySQLType: "bigint(20) unsigned"}, {Name: "name", MySQLType: "varchar(20)"}, {Name: "qty", MySQLType: "int(11)"}}}
	if err := s.Apply(ctx, &sink.Batch{Rows: []sink.Row{
		sinktest.Row(orders, sink.OpInsert, 10, map[string]string{"id": "1", "name": "a", "qty": "5"}),
		sinktest.Row(orders, sink.OpInsert, 11, map[string]string{"id": "2", "name": "b", "qty": "6"}),
		sinktest.Row(orders, sink.OpInsert, 30, map[string]string{"id": "3", "name": "c", "qty": "7"}),
	}}); err != nil {
		t.Fatal(err)
	}
	renameErr := error(nil)
	if !s.Features().RenameColumn {
		renameErr = sink.ErrDDLHalt
	}
	steps := []sinktest.DDLStep{
		{Name: "add column and unique key", DDL: sink.DDL{Kind: "ALTER", Version: 20, SQL: "ALTER TABLE orders ADD COLUMN note VARCHAR(32) NOT NULL DEFAULT 'x', ADD UNIQUE KEY uk (name)"},
			Want: "id UInt64, name Nullable(String), qty Nullable(Int32), note String"},
		{Name: "same version is a no-op", DDL: sink.DDL{Kind: "ALTER", Version: 20, SQL: "ALTER TABLE orders ADD COLUMN other INT"},
			Want: "id UInt64, name Nullable(String), qty Nullable(Int32), note String"},
		{Name: "modify column type", DDL: sink.DDL{Kind: "ALTER", Version: 21, SQL: "ALTER TABLE orders MODIFY COLUMN qty BIGINT UNSIGNED NOT NULL"},
			Want: "id UInt64, name Nullable(String), qty Nullable(UInt64), note String"},
		{Name: "drop column", DDL: sink.DDL{Kind: "ALTER", Version: 22, SQL: "ALTER TABLE orders DROP COLUMN note"},
			Want: "id UInt64, name Nullable(String), qty Nullable(UInt64)"},
		{Name: "rename column", DDL: sink.DDL{Kind: "ALTER", Version: 23, SQL: "ALTER TABLE orders RENAME COLUMN name TO title"}, WantErr: renameErr},
		{Name: "primary key change halts", DDL: sink.DDL{Kind: "ALTER", Version: 24, SQL: "ALTER TABLE orders DROP PRIMARY KEY, ADD PRIMARY KEY (id, qty)"}, WantErr: sink.ErrDDLHalt},
		{Name: "truncate", DDL: sink.DDL{Kind: "TRUNCATE", Version: 25, SQL: "TRUNCATE TABLE orders"}},
		{Name: "create table", DDL: sink.DDL{Kind: "CREATE", Version: 26, SQL: "CREATE TABLE refunds (id BIGINT UNSIGNED NOT NULL PRIMARY KEY, amount DECIMAL(12,2) NOT NULL, at DATETIME(3))"}},
	}
	sinktest.RunDDLSteps(t, steps, s.ApplyDDL, func(t *testing.T) string { return describe(t, s, copyDB, "orders") })
	// TRUNCATE at version 25 killed rows 1 and 2 (older) but not row 3 (version 30).
	var ids []uint64
	rows, err := s.conn.Query(ctx, fmt.Sprintf("SELECT id FROM `%s`.`orders` ORDER BY id", viewDB))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id uint64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if fmt.Sprint(ids) != "[3]" {
		t.Fatalf("live ids after TRUNCATE = %v, want [3]", ids)
	}
	if got := describe(t, s, copyDB, "refunds"); !strings.HasPrefix(got, "id UInt64, amount Nullable(Decimal(12, 2)), at Nullable(DateTime") {
		t.Fatalf("created copy table refunds = %s", got)
	}
	var n uint64
	if err := s.conn.QueryRow(ctx, fmt.Sprintf("SELECT count() FROM `%s`.`%s` FINAL", copyDB, sink.DDLAppliedTable)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	want := uint64(5) // 20, 21, 22, 25, 26
	if renameErr == nil {
		want++
	}
	if n != want {
		t.Fatalf("recorded ddl versions = %d, want %d", n, want)
	}
}

// TestAlterClausesRunInOrder checks that clauses after RENAME TO apply to the renamed table
// and that the views follow the rename.
func TestAlterClausesRunInOrder(t *testing.T) {
	s, copyDB, viewDB := openTestSink(t)
	ctx := context.Background()
	x := &sink.Table{Database: "shop", Name: "x", PK: []string{"id"}, Columns: []sink.Column{{Name: "id", MySQLType: "int(11)"}}}
	if err := s.Apply(ctx, &sink.Batch{Rows: []sink.Row{sinktest.Row(x, sink.OpInsert, 1, map[string]string{"id": "1"})}}); err != nil {
		t.Fatal(err)
	}
	d := &sink.DDL{Database: "shop", Kind: "ALTER", Version: 2, SQL: "ALTER TABLE x ADD COLUMN a INT, RENAME TO y, ADD COLUMN b VARCHAR(3)"}
	if err := s.ApplyDDL(ctx, d); err != nil {
		t.Fatal(err)
	}
	if got := describe(t, s, copyDB, "y"); got != "id Int32, a Nullable(Int32), b Nullable(String)" {
		t.Fatalf("renamed copy table y = %s", got)
	}
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name = 'x'", viewDB).Scan(&n); err != nil || n != 0 {
		t.Fatalf("view x: %d tables (%v), want it dropped after the rename", n, err)
	}
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM `"+viewDB+"`.`y`").Scan(&n); err != nil || n != 1 {
		t.Fatalf("view y has %d rows (%v), want 1", n, err)
	}
}
