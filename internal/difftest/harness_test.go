package difftest

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ferry-cdc/ferry/internal/pipelinetest"
	"github.com/ferry-cdc/ferry/internal/testenv"
)

// harness runs rounds through one pipeline and adds up what they did.
type harness struct {
	t         *testing.T
	ctx       context.Context
	p         *pipelinetest.Pipeline
	src, cp   *sql.DB
	ch        driver.Conn
	renameCol bool
	totals    totals
}

// totals is the long form's figure.
type totals struct {
	rounds, rows, diffs int
	faults, ops         map[string]int
	explained           map[string]int
}

// textDSN turns a testenv DSN into one that reads every value as MariaDB's text (no time.Time
// parsing) in a UTC session.
func textDSN(dsn string) string {
	return strings.Replace(dsn, "parseTime=true", "parseTime=false", 1) + "&time_zone=" + url.QueryEscape("'+00:00'")
}

func openText(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", textDSN(dsn))
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newHarness(ctx context.Context, t *testing.T, st *testenv.Stack) *harness {
	h := &harness{t: t, ctx: ctx, totals: totals{faults: map[string]int{}, ops: map[string]int{}, explained: map[string]int{}}}
	h.p = pipelinetest.New(t, st, pipelinetest.Options{Queues: 4})
	h.src = openText(t, st.SourceDSN(h.p.SourceDB))
	h.cp = openText(t, st.CopyDSN(h.p.CopyDB["mysql"]))
	h.ch = st.OpenClickHouseDatabase(t, h.p.CopyDB["clickhouse"])
	v, err := h.ch.ServerVersion()
	if err != nil {
		t.Fatalf("clickhouse server version: %v", err)
	}
	// RENAME COLUMN halts the ClickHouse replayer before 20.4, as documented
	// (schemas/clickhouse-types.md, DDL translation): a limit, not a difference, so it is only
	// generated where the copy can apply it.
	h.renameCol = v.Version.Major > 20 || (v.Version.Major == 20 && v.Version.Minor >= 4)
	t.Logf("clickhouse %s: RENAME COLUMN generated: %v", v.Version, h.renameCol)
	h.p.StartTailer(t)
	for _, sink := range pipelinetest.Sinks {
		h.p.StartReplayer(t, sink)
	}
	return h
}

// round runs one seeded round: schema, workload with faults, convergence and comparison.
func (h *harness) round(idx int, seed int64, m mode) {
	t := h.t
	start := time.Now()
	r := rand.New(rand.NewPCG(uint64(seed), 0xd1ff))
	conn, err := h.src.Conn(h.ctx)
	if err != nil {
		t.Fatalf("source connection: %v", err)
	}
	defer conn.Close()
	w := &workload{ctx: h.ctx, conn: conn, r: r, tables: newTables(r, fmt.Sprintf("r%d", idx), 2),
		renameCol: h.renameCol, stats: map[string]int{}}
	if err := w.createTables(); err != nil {
		t.Fatalf("round %d (seed %d): %v", idx, seed, err)
	}
	f := newFaults(h, rand.New(rand.NewPCG(uint64(seed), 0xfa17)), m)
	if err := w.run(m.ops, f.before); err != nil {
		t.Fatalf("round %d (seed %d): %v", idx, seed, err)
	}
	f.finish()
	rows, explained, diffs := h.converge(w.tables, m.converge)
	for k, v := range w.stats {
		h.totals.ops[k] += v
	}
	for k, v := range explained {
		h.totals.explained[k] += v
	}
	h.totals.rounds++
	h.totals.rows += rows
	h.totals.diffs += len(diffs)
	t.Logf("round %d seed %d: %s, ops %v, faults %v, %d rows compared, explained %v, unexplained %d",
		idx, seed, time.Since(start).Round(time.Second), w.stats, f.injected, rows, explained, len(diffs))
	if len(diffs) > 0 {
		t.Fatalf("round %d (replay with FERRY_DIFF_SEED=%d): %d differences:\n%s\nDDL of the round:\n%s\nprocess logs:\n%s",
			idx, seed, len(diffs), strings.Join(first(diffs, 40), "\n"), strings.Join(w.ddlLog, "\n"), h.p.Logs())
	}
}

func first(s []string, n int) []string { return s[:min(n, len(s))] }

// converge compares every table of the round with both copies until no difference is left or
// timeout passes, and returns the rows compared, the explained differences and what is left.
func (h *harness) converge(tables []*table, timeout time.Duration) (int, map[string]int, []string) {
	deadline := time.Now().Add(timeout)
	for {
		rows, explained, diffs := h.compareAll(tables)
		if len(diffs) == 0 || time.Now().After(deadline) {
			return rows, explained, diffs
		}
		for _, sink := range pipelinetest.Sinks {
			if !h.p.Replayer(sink).Running() {
				h.t.Fatalf("replayer %s exited (a halt is a difference too):\n%s\ndifferences:\n%s",
					sink, h.p.Replayer(sink).Log(4000), strings.Join(first(diffs, 20), "\n"))
			}
		}
		time.Sleep(time.Second)
	}
}

// compareAll dumps every table at the source and in both copies and compares them.
func (h *harness) compareAll(tables []*table) (int, map[string]int, []string) {
	rows, explained, diffs := 0, map[string]int{}, []string(nil)
	for _, tb := range tables {
		cols, err := sourceColumns(h.ctx, h.src, h.p.SourceDB, tb.name)
		if err != nil {
			h.t.Fatalf("%v", err)
		}
		src, err := dumpMySQL(h.ctx, h.src, h.p.SourceDB, tb.name, "", cols)
		if err != nil {
			h.t.Fatalf("dump source: %v", err)
		}
		copies := map[string]func() (*dump, error){
			"mysql": func() (*dump, error) {
				return dumpMySQL(h.ctx, h.cp, h.p.CopyDB["mysql"], tb.name, "_deleted = 0", cols)
			},
			"clickhouse": func() (*dump, error) { return dumpClickHouse(h.ctx, h.ch, h.p.CopyDB["clickhouse"], tb.name, cols) },
		}
		for _, sink := range pipelinetest.Sinks {
			cp, err := copies[sink]()
			if err != nil { // a copy table or column not there (yet)
				diffs = append(diffs, fmt.Sprintf("%s %s: %v", sink, tb.name, err))
				continue
			}
			res := compare(sink, tb.name, cols, src, cp)
			rows += res.rows
			diffs = append(diffs, res.diffs...)
			for k, v := range res.explained {
				explained[k] += v
			}
		}
	}
	return rows, explained, diffs
}
