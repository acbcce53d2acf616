package sinktest

import (
	"context"
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
			"ADD COLUMN ts DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, ADD COLUMN dc DECIMAL(12,2) NOT NULL DEFAULT 1.5"}
	if err := applyDDL(ctx, d); err != nil {
		t.Fatalf("ApplyDDL: %v", err)
	}
	after := &sink.Table{Database: "shop", Name: "ad", PK: []string{"id"}, Columns: append(append([]sink.Column(nil), before.Columns...),
		sink.Column{Name: "n", MySQLType: "int(11)"}, sink.Column{Name: "s", MySQLType: "varchar(10)"},
		sink.Column{Name: "e", MySQLType: "enum('p','q')"}, sink.Column{Name: "z", MySQLType: "int(11)"},
		sink.Column{Name: "k", MySQLType: "int(11)"}, sink.Column{Name: "ts", MySQLType: "datetime"},
		sink.Column{Name: "dc", MySQLType: "decimal(12,2)"})}
	added := map[string]string{"n": "0", "s": "x'y", "e": "p", "k": "-7", "ts": "2021-03-04 05:06:07", "dc": "1.50"}
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
