package report_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ferry-cdc/ferry/internal/chdb"
	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/backfill/backfilltest"
	"github.com/ferry-cdc/ferry/pkg/report"
	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/chsink"
	"github.com/ferry-cdc/ferry/pkg/verify"
)

// TestCurrentClickHouse runs what Ferry sends to ClickHouse on a current engine (chdb, ClickHouse
// 26.x) as well as on the stack's 18.16: the sink's copy-table DDL and views for the order schema
// (generated for the current server's features), the copied data, every ClickHouse report and
// the SQL verify ran against the 18.16 copy (recorded from system.query_log). Reports must give
// the source's answer; verify's queries must run and answer as on 18.16; a few known rows are
// checked through the views.
func TestCurrentClickHouse(t *testing.T) {
	if _, err := chdb.Python(); err != nil {
		t.Fatal(err)
	}
	st := testenv.Get(t)
	ctx := context.Background()
	srcDB := st.NewSourceDatabase(t)
	testenv.LoadOrderSchema(t, st.OpenSource(t, srcDB))
	src := backfilltest.OpenSource(t, st)
	backfilltest.SeedOrders(t, src, srcDB, 300, 1)
	sourceDB := openSourceDB(t, st, srcDB)
	// A shipment not yet shipped: paid_to_shipped must leave it out (a NULL, not 1970-01-01).
	if _, err := sourceDB.ExecContext(ctx, "UPDATE shipments SET shipped_at = NULL, status = 'pending' ORDER BY id LIMIT 3"); err != nil {
		t.Fatal(err)
	}
	var pending int
	if err := sourceDB.QueryRowContext(ctx, "SELECT COUNT(*) FROM shipments WHERE shipped_at IS NULL").Scan(&pending); err != nil || pending == 0 {
		t.Fatalf("the seed has %d shipments with NULL shipped_at (%v); paid_to_shipped needs some", pending, err)
	}
	copies := backfilltest.NewCopies(t, st)
	copies.Load(t, src, srcDB)
	deleteOrder(t, src, srcDB, copies, 42)
	verifySQL := recordVerifySQL(t, st, src, srcDB, copies.CHCopy)

	tables, err := sink.ReadSourceTables(ctx, src, srcDB)
	if err != nil {
		t.Fatal(err)
	}
	// The sink's DDL for a current server (DateTime64, ...) in <copy>_current, where the reports
	// and known-row checks run; verify's SQL was generated for the 18.16 copy's column types, so
	// it runs on a copy with those types under the original names.
	curCopy, curLive := copies.CHCopy+"_current", copies.CHLive+"_current"
	steps := chdbSetup(t, st, tables, copies.CHCopy, curCopy, curLive, chsink.FeaturesOf(26, 9), true)
	steps = append(steps, chdbSetup(t, st, tables, copies.CHCopy, copies.CHCopy, copies.CHLive, chsink.FeaturesOf(18, 16), false)...)
	nSetup := len(steps)
	names := report.Names()
	for _, name := range names {
		q, err := report.Query(report.ClickHouse, name)
		if err != nil {
			t.Fatal(err)
		}
		steps = append(steps, chdb.Step{SQL: "USE `" + curCopy + "`; " + q, Result: true})
	}
	for _, q := range verifySQL {
		steps = append(steps, chdb.Step{SQL: q, Result: true})
	}
	// Dates before 1970 on a current server: Date32 and DateTime64 copy columns keep them.
	old := &sink.Table{Database: srcDB, Name: "old_dates", PK: []string{"id"}, Columns: []sink.Column{
		{Name: "id", MySQLType: "int(11)"}, {Name: "d", MySQLType: "date"}, {Name: "dt", MySQLType: "datetime"}}}
	oldDDL, err := chsink.CopyTableSQL(curCopy, old, chsink.FeaturesOf(26, 9))
	if err != nil {
		t.Fatal(err)
	}
	steps = append(steps[:nSetup:nSetup], append([]chdb.Step{{SQL: oldDDL},
		{SQL: "INSERT INTO `" + curCopy + "`.old_dates (id, d, dt, _version, _deleted) VALUES (1, '1960-05-06', '1960-05-06 07:08:09', 1, 0)"}},
		steps[nSetup:]...)...)
	nSetup += 2
	known := []string{
		"SELECT id, pay_amount, toString(status) FROM `" + curLive + "`.`orders` WHERE id IN (1, 2, 42) ORDER BY id",
		"SELECT count() FROM `" + curLive + "`.`orders`",
		"SELECT toString(d), toString(dt) FROM `" + curCopy + "`.old_dates",
	}
	for _, q := range known {
		steps = append(steps, chdb.Step{SQL: q, Result: true})
	}
	version, out, err := chdb.Run(steps)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("chdb ClickHouse %s: %d setup statements, %d reports, %d verify queries", version, nSetup, len(names), len(verifySQL))
	for i := 0; i < nSetup; i++ {
		if out[i].Err != "" {
			t.Fatalf("setup on ClickHouse %s failed: %s\nstatement: %s", version, out[i].Err, steps[i].SQL)
		}
	}
	out = out[nSetup:]
	t.Run("reports", func(t *testing.T) {
		for i, name := range names {
			want, err := report.Run(ctx, sourceDB, report.MySQL, name)
			if err != nil {
				t.Fatal(err)
			}
			if out[i].Err != "" {
				t.Errorf("report %s fails on ClickHouse %s: %s", name, version, out[i].Err)
				continue
			}
			got := &report.Result{Name: name, Columns: out[i].Columns, Rows: out[i].Rows}
			if d := report.Compare(want, got); d != nil {
				t.Errorf("report %s on ClickHouse %s differs from the source:\n%s", name, version, strings.Join(d, "\n"))
			}
		}
	})
	out = out[len(names):]
	t.Run("verify", func(t *testing.T) {
		for i, q := range verifySQL {
			if out[i].Err != "" {
				t.Errorf("verify query fails on ClickHouse %s: %s\nquery: %s", version, out[i].Err, q)
				continue
			}
			old := httpQuery(t, st, q)
			if d := report.Compare(asResult(old), asResult(out[i].Rows)); d != nil {
				t.Errorf("verify query answers differently on ClickHouse %s than on 18.16:\n%s\nquery: %s", version, strings.Join(d, "\n"), q)
			}
		}
	})
	out = out[len(verifySQL):]
	t.Run("known rows", func(t *testing.T) {
		var want []string
		rows, err := sourceDB.QueryContext(ctx, "SELECT id, pay_amount, status FROM orders WHERE id IN (1, 2, 42) ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, amount, status string
			if err := rows.Scan(&id, &amount, &status); err != nil {
				t.Fatal(err)
			}
			want = append(want, id+" "+amount+" "+status)
		}
		rows.Close()
		if len(want) != 2 || out[0].Err != "" {
			t.Fatalf("source rows %v (order 42 is deleted), chdb error %q", want, out[0].Err)
		}
		var got []string
		for _, r := range out[0].Rows {
			got = append(got, *r[0]+" "+*r[1]+" "+*r[2])
		}
		// ClickHouse 21.9+ prints Decimal without trailing zeros: compare numerically.
		if d := report.Compare(asResult(rowsOf(want)), asResult(rowsOf(got))); d != nil {
			t.Errorf("orders 1, 2, 42 in the ClickHouse view: %v, source %v", got, want)
		}
		var n int
		if err := sourceDB.QueryRowContext(ctx, "SELECT COUNT(*) FROM orders").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if out[1].Err != "" || len(out[1].Rows) != 1 || *out[1].Rows[0][0] != fmt.Sprint(n) {
			t.Errorf("view count %v (%s), source has %d orders", out[1].Rows, out[1].Err, n)
		}
		if out[2].Err != "" || len(out[2].Rows) != 1 || *out[2].Rows[0][0] != "1960-05-06" || *out[2].Rows[0][1] != "1960-05-06 07:08:09" {
			t.Errorf("a date before 1970 on ClickHouse %s: %v (%s), want 1960-05-06 and 1960-05-06 07:08:09", version, out[2].Rows, out[2].Err)
		}
	})
}

// asResult wraps rows as a Result with columns c1..cN (Compare compares the named columns).
func asResult(rows [][]*string) *report.Result {
	r := &report.Result{Rows: rows}
	if len(rows) > 0 {
		for i := range rows[0] {
			r.Columns = append(r.Columns, fmt.Sprintf("c%d", i+1))
		}
	}
	return r
}

// rowsOf splits space-separated values into result rows.
func rowsOf(lines []string) [][]*string {
	var out [][]*string
	for _, l := range lines {
		var row []*string
		for _, f := range strings.Fields(l) {
			row = append(row, &f)
		}
		out = append(out, row)
	}
	return out
}

// chdbSetup returns the statements that build a copy in chdb: databases, the sink's copy tables
// (types for features f) and views, and inserts of the 18.16 copy's rows (fetched as
// TabSeparated over HTTP into files). With allTables false, only tables the 18.16 copy has are
// created (backfill creates copy tables from rows: an empty source table has none).
func chdbSetup(t *testing.T, st *testenv.Stack, tables []*sink.Table, srcCopyDB, copyDB, liveDB string, f chsink.Features, allTables bool) []chdb.Step {
	t.Helper()
	steps := []chdb.Step{{SQL: "CREATE DATABASE `" + copyDB + "`"}, {SQL: "CREATE DATABASE `" + liveDB + "`"}}
	dir := t.TempDir()
	for _, tb := range tables {
		exists := len(httpColumn(t, st, fmt.Sprintf("SELECT name FROM system.tables WHERE database = '%s' AND name = '%s'", srcCopyDB, tb.Name))) > 0
		if !exists && !allTables {
			continue
		}
		ddl, err := chsink.CopyTableSQL(copyDB, tb, f)
		if err != nil {
			t.Fatal(err)
		}
		cols := make([]string, len(tb.Columns))
		for i, c := range tb.Columns {
			cols[i] = c.Name
		}
		steps = append(steps, chdb.Step{SQL: ddl}, chdb.Step{SQL: chsink.ViewSQL(liveDB, copyDB, tb.Name, cols)})
		if !exists {
			continue
		}
		structure := strings.Join(httpColumn(t, st, fmt.Sprintf("SELECT concat(name, ' ', type) FROM system.columns WHERE database = '%s' AND table = '%s'", srcCopyDB, tb.Name)), ", ")
		file := filepath.Join(dir, tb.Name+".tsv")
		if err := os.WriteFile(file, []byte(httpRaw(t, st, fmt.Sprintf("SELECT * FROM `%s`.`%s` FORMAT TabSeparated", srcCopyDB, tb.Name))), 0o600); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, chdb.Step{SQL: fmt.Sprintf("INSERT INTO `%s`.`%s` SELECT * FROM file('%s', 'TabSeparated', '%s')",
			copyDB, tb.Name, file, strings.ReplaceAll(structure, "'", `\'`))})
	}
	return steps
}

// recordVerifySQL runs verify over every table of srcDB against the 18.16 copy with query
// logging on and returns the distinct statements it sent to ClickHouse.
func recordVerifySQL(t *testing.T, st *testenv.Stack, src *sql.DB, srcDB, copyDB string) []string {
	t.Helper()
	ctx := context.Background()
	opts := st.ClickHouseOptions("")
	opts.ReadTimeout = 2 * time.Minute
	opts.Settings = clickhouse.Settings{"log_queries": 1}
	ch := clickhouse.OpenDB(opts)
	defer ch.Close()
	cfg := verify.DefaultConfig()
	cfg.ChunkRows, cfg.DiffRows, cfg.Retries = 200, 50, 0
	v, err := verify.New(cfg, src, &chsink.Reader{DB: ch, Database: copyDB}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	refs, err := v.Tables(ctx, []string{srcDB})
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range refs {
		if _, err := v.Table(ctx, ref); err != nil {
			t.Fatalf("verify %s on 18.16: %v", ref, err)
		}
	}
	httpRaw(t, st, "SYSTEM FLUSH LOGS")
	qs := httpColumn(t, st, fmt.Sprintf("SELECT DISTINCT replaceRegexpAll(query, '\\\\s+', ' ') FROM system.query_log WHERE type = 2 AND position(query, '%s') > 0 AND position(query, 'query_log') = 0", copyDB))
	if len(qs) < 3 {
		t.Fatalf("recorded %d verify queries from system.query_log, want several", len(qs))
	}
	return qs
}

// httpRaw runs q on the stack's ClickHouse over HTTP and returns the body.
func httpRaw(t *testing.T, st *testenv.Stack, q string) string {
	t.Helper()
	resp, err := http.Post("http://"+st.ClickHouseHTTP+"/?"+url.Values{"database": {"default"}}.Encode(), "text/plain", strings.NewReader(q))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("clickhouse http %d: %s (%v)\nquery: %s", resp.StatusCode, b, err, q)
	}
	return string(b)
}

// httpColumn returns the first column of q's rows.
func httpColumn(t *testing.T, st *testenv.Stack, q string) []string {
	_, rows := chdb.ParseTSV(httpRaw(t, st, q+" FORMAT TabSeparated"), false)
	var out []string
	for _, r := range rows {
		if r[0] != nil {
			out = append(out, *r[0])
		}
	}
	return out
}

// httpQuery returns q's rows from the stack's 18.16.
func httpQuery(t *testing.T, st *testenv.Stack, q string) [][]*string {
	_, rows := chdb.ParseTSV(httpRaw(t, st, q+" FORMAT TabSeparated"), false)
	return rows
}
