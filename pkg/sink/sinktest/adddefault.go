package sinktest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// RunAddColumnDefault writes two rows into table shop.ad, applies an ALTER that adds columns
// with and without DEFAULT (run at the source at 2021-03-04 05:06:07 UTC), and checks with read
// (the live rows of a table shape by Key) that the existing rows got what MariaDB gives them.
func RunAddColumnDefault(t *testing.T, apply func(context.Context, *sink.Batch) error, applyDDL func(context.Context, *sink.DDL) error, read func(*sink.Table) map[string][]*string) {
	t.Helper()
	ctx := context.Background()
	before := &sink.Table{Database: "shop", Name: "ad", PK: []string{"id"}, Columns: []sink.Column{
		{Name: "id", MySQLType: "int(11)"}, {Name: "a", MySQLType: "varchar(10)"}}}
	if err := apply(ctx, &sink.Batch{Rows: []sink.Row{
		Row(before, sink.OpInsert, 1, map[string]string{"id": "1", "a": "one"}),
		Row(before, sink.OpInsert, 1, map[string]string{"id": "2"}),
	}}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	d := &sink.DDL{Database: "shop", Kind: "ALTER", Version: 2, Position: "mysql-bin.000001:2", Time: at,
		SQL: "ALTER TABLE ad ADD COLUMN n INT NOT NULL, ADD COLUMN s VARCHAR(10) NOT NULL DEFAULT 'x''y', " +
			"ADD COLUMN e ENUM('p','q') NOT NULL, ADD COLUMN z INT NULL, ADD COLUMN k INT DEFAULT -7, " +
			"ADD COLUMN ts DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, ADD COLUMN dc DECIMAL(12,2) NOT NULL DEFAULT 1.5, " +
			"ADD COLUMN b BIT(8) NOT NULL, ADD COLUMN e0 ENUM('0','1') NOT NULL, ADD COLUMN bn BINARY(3) NOT NULL"}
	if err := applyDDL(ctx, d); err != nil {
		t.Fatalf("ApplyDDL: %v", err)
	}
	after := &sink.Table{Database: "shop", Name: "ad", PK: []string{"id"}, Columns: append(append([]sink.Column(nil), before.Columns...),
		sink.Column{Name: "n", MySQLType: "int(11)"}, sink.Column{Name: "s", MySQLType: "varchar(10)"},
		sink.Column{Name: "e", MySQLType: "enum('p','q')"}, sink.Column{Name: "z", MySQLType: "int(11)"},
		sink.Column{Name: "k", MySQLType: "int(11)"}, sink.Column{Name: "ts", MySQLType: "datetime"},
		sink.Column{Name: "dc", MySQLType: "decimal(12,2)"}, sink.Column{Name: "b", MySQLType: "bit(8)"},
		sink.Column{Name: "e0", MySQLType: "enum('0','1')"}, sink.Column{Name: "bn", MySQLType: "binary(3)"})}
	added := map[string]string{"n": "0", "s": "x'y", "e": "p", "k": "-7", "ts": "2021-03-04 05:06:07", "dc": "1.50", "b": "0", "e0": "0",
		"bn": "\x00\x00\x00"}
	want := map[string][]*string{}
	for _, kv := range []map[string]string{{"id": "1", "a": "one"}, {"id": "2"}} {
		for k, v := range added {
			kv[k] = v
		}
		r := Row(after, sink.OpInsert, 3, kv)
		want[Key(after, r.Values)] = r.Values
	}
	if diff := Diff(after, want, read(after)); diff != "" {
		t.Fatalf("existing rows after ADD COLUMN differ from the source's:\n%s", diff)
	}
}

// RunAlterMissingTable applies an ALTER that adds a column to table shop.nothere, which the copy
// does not have: it must halt (not be recorded as applied), and a repeat must halt again. An
// ALTER that only adds an index has nothing to apply and passes.
func RunAlterMissingTable(t *testing.T, applyDDL func(context.Context, *sink.DDL) error) {
	t.Helper()
	ctx := context.Background()
	d := &sink.DDL{Database: "shop", Kind: "ALTER", Version: 5, Position: "mysql-bin.000001:5", SQL: "ALTER TABLE nothere ADD COLUMN c INT DEFAULT 3"}
	for i := 0; i < 2; i++ {
		err := applyDDL(ctx, d)
		if !errors.Is(err, sink.ErrDDLHalt) || !strings.Contains(err.Error(), "does not exist") || !strings.Contains(err.Error(), "replayer schema") {
			t.Fatalf("ALTER of a missing copy table (try %d) = %v; want a halt naming the missing table and the fix", i+1, err)
		}
	}
	idx := &sink.DDL{Database: "shop", Kind: "ALTER", Version: 6, Position: "mysql-bin.000001:6", SQL: "ALTER TABLE nothere ADD INDEX ix (a)"}
	if err := applyDDL(ctx, idx); err != nil {
		t.Fatalf("index-only ALTER of a missing copy table: %v", err)
	}
}

// RunYearFromDDL creates table shop.y with width-less and YEAR(4) columns through the DDL path
// (the TiDB parser prints a width-less YEAR as "year(-1)"), applies rows in the tailer's shape
// (mysqlType "year", zero year "0000") and checks them with read; zero is how the copy reads the
// zero year back.
func RunYearFromDDL(t *testing.T, apply func(context.Context, *sink.Batch) error, applyDDL func(context.Context, *sink.DDL) error, read func(*sink.Table) map[string][]*string, zero string) {
	t.Helper()
	ctx := context.Background()
	d := &sink.DDL{Database: "shop", Kind: "CREATE", Version: 1, Position: "mysql-bin.000001:1",
		SQL: "CREATE TABLE y (id INT PRIMARY KEY, y YEAR, y4 YEAR(4) NOT NULL)"}
	if err := applyDDL(ctx, d); err != nil {
		t.Fatalf("ApplyDDL: %v", err)
	}
	tbl := &sink.Table{Database: "shop", Name: "y", PK: []string{"id"}, Columns: []sink.Column{
		{Name: "id", MySQLType: "int(11)"}, {Name: "y", MySQLType: "year"}, {Name: "y4", MySQLType: "year"}}}
	values := []map[string]string{{"id": "1", "y": "2024", "y4": "1901"}, {"id": "2", "y": "0000", "y4": "2155"}, {"id": "3", "y4": "1999"}}
	var rows []sink.Row
	want := map[string][]*string{}
	for _, kv := range values {
		rows = append(rows, Row(tbl, sink.OpInsert, 2, kv))
		if kv["y"] == "0000" {
			kv["y"] = zero
		}
		r := Row(tbl, sink.OpInsert, 2, kv)
		want[Key(tbl, r.Values)] = r.Values
	}
	if err := apply(ctx, &sink.Batch{Rows: rows}); err != nil {
		t.Fatalf("apply rows: %v", err)
	}
	if diff := Diff(tbl, want, read(tbl)); diff != "" {
		t.Fatalf("copy differs:\n%s", diff)
	}
}
