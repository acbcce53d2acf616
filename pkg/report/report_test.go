package report_test

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"testing"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/backfill/backfilltest"
	"github.com/ferry-cdc/ferry/pkg/report"
	"github.com/ferry-cdc/ferry/pkg/sink"
)

func TestNamesAndQueries(t *testing.T) {
	want := []string{"daily_gmv", "orders_by_status", "paid_to_shipped", "refund_rate", "top_products"}
	if got := report.Names(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for _, tc := range []struct {
		dialect report.Dialect
		name    string
		wantErr bool
	}{
		{report.MySQL, "daily_gmv", false},
		{report.ClickHouse, "top_products", false},
		{report.MySQL, "nope", true},
		{report.MySQL, "../mysql/daily_gmv", true},
		{"oracle", "daily_gmv", true},
	} {
		t.Run(string(tc.dialect)+"/"+tc.name, func(t *testing.T) {
			q, err := report.Query(tc.dialect, tc.name)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Query err = %v, wantErr %v", err, tc.wantErr)
			}
			if err == nil && !strings.Contains(strings.ToUpper(q), "SELECT") {
				t.Fatalf("query text has no SELECT: %q", q)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	s := func(v string) *string { return &v }
	res := func(col string, v *string) *report.Result {
		return &report.Result{Columns: []string{"day", col}, Rows: [][]*string{{s("2026-11-01"), v}}}
	}
	for _, tc := range []struct {
		name string
		col  string
		a, b *string
		same bool
	}{
		{"decimal scale", "gmv", s("12.30"), s("12.3"), true},
		{"integer", "orders", s("12"), s("13"), false},
		{"exact money differs", "gmv", s("12.30"), s("12.31"), false},
		{"rate last digit", "refund_rate", s("0.0313"), s("0.0312"), true},
		{"rate two digits off", "refund_rate", s("0.0313"), s("0.0311"), false},
		{"null vs zero", "gmv", nil, s("0"), false},
		{"both null", "gmv", nil, nil, true},
		{"text", "day", s("a"), s("b"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := report.Compare(res(tc.col, tc.a), res(tc.col, tc.b))
			if (len(d) == 0) != tc.same {
				t.Fatalf("Compare diffs = %v, want same=%v", d, tc.same)
			}
		})
	}
}

// TestReportsAgreeAcrossEngines loads order data into a source database, copies it into a MySQL
// and a ClickHouse copy through the real sinks (with one order deleted at the source after the
// copy, i.e. a tombstone in both copies), and checks every report gives the same answer on the
// source, the MySQL copy's live views and the ClickHouse copy.
func TestReportsAgreeAcrossEngines(t *testing.T) {
	st := testenv.Get(t)
	ctx := context.Background()
	srcDB := st.NewSourceDatabase(t)
	admin := st.OpenSource(t, srcDB)
	testenv.LoadOrderSchema(t, admin)
	src := backfilltest.OpenSource(t, st)
	backfilltest.SeedOrders(t, src, srcDB, 600, 1)
	copies := backfilltest.NewCopies(t, st)
	copies.Load(t, src, srcDB)
	deleteOrder(t, src, srcDB, copies, 42)

	live := openCopyDB(t, st, copies.MySQLLive)
	ch := backfilltest.OpenClickHouse(st, copies.CHCopy)
	defer ch.Close()
	sourceDB := openSourceDB(t, st, srcDB)
	for _, name := range report.Names() {
		t.Run(name, func(t *testing.T) {
			want, err := report.Run(ctx, sourceDB, report.MySQL, name)
			if err != nil {
				t.Fatal(err)
			}
			if len(want.Rows) == 0 {
				t.Fatalf("report %s is empty on the source; the seed data should produce rows", name)
			}
			for _, tc := range []struct {
				engine  string
				db      *sql.DB
				dialect report.Dialect
			}{{"mysql copy", live, report.MySQL}, {"clickhouse copy", ch, report.ClickHouse}} {
				got, err := report.Run(ctx, tc.db, tc.dialect, name)
				if err != nil {
					t.Fatalf("%s: %v", tc.engine, err)
				}
				if d := report.Compare(want, got); d != nil {
					t.Errorf("%s differs from the source (%d rows vs %d):\n%s", tc.engine, len(want.Rows), len(got.Rows), strings.Join(d, "\n"))
				}
			}
		})
	}
}

// deleteOrder deletes an order at the source and writes the matching tombstone into both copies
// with a version above the backfill's, as the replayer would.
func deleteOrder(t *testing.T, src *sql.DB, db string, c *backfilltest.Copies, id int) {
	t.Helper()
	ctx := context.Background()
	if _, err := src.ExecContext(ctx, "DELETE FROM `"+db+"`.orders WHERE id = ?", id); err != nil {
		t.Fatal(err)
	}
	tbl := &sink.Table{Database: db, Name: "orders", Columns: []sink.Column{{Name: "id", MySQLType: "bigint(20) unsigned"}}, PK: []string{"id"}}
	idText := strconv.Itoa(id)
	b := &sink.Batch{Rows: []sink.Row{{Table: tbl, Op: sink.OpDelete, Version: 1 << 55, Values: []*string{&idText}}}}
	for _, s := range []sink.Sink{c.MySQLSink, c.CHSink} {
		if err := s.Apply(ctx, b); err != nil {
			t.Fatalf("apply tombstone: %v", err)
		}
	}
}

func openCopyDB(t *testing.T, st *testenv.Stack, db string) *sql.DB {
	t.Helper()
	return st.OpenCopy(t, db)
}

func openSourceDB(t *testing.T, st *testenv.Stack, db string) *sql.DB {
	t.Helper()
	return st.OpenSource(t, db)
}
