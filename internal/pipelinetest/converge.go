package pipelinetest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	_ "github.com/go-sql-driver/mysql" // the MySQL driver verify talks through

	"github.com/ferry-cdc/ferry/pkg/sink/chsink"
	"github.com/ferry-cdc/ferry/pkg/sink/mysqlsink"
	"github.com/ferry-cdc/ferry/pkg/verify"
)

// utcDSN forces the session time zone verify requires on both MySQL sides.
func utcDSN(dsn string) string { return dsn + "&time_zone=" + url.QueryEscape("'+00:00'") }

// verifiers opens one Verifier per sink over the pipeline's databases.
func (p *Pipeline) verifiers(t testing.TB) map[string]*verify.Verifier {
	t.Helper()
	open := func(dsn string) *sql.DB {
		db, err := sql.Open("mysql", utcDSN(dsn))
		if err != nil {
			t.Fatalf("open %s: %v", dsn, err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	src := open(p.St.SourceDSN(p.SourceDB))
	ch := clickhouse.OpenDB(p.St.ClickHouseOptions(p.CopyDB["clickhouse"]))
	t.Cleanup(func() { ch.Close() })
	copies := map[string]verify.Copy{
		"mysql":      &mysqlsink.Reader{DB: open(p.St.CopyDSN(p.CopyDB["mysql"])), Database: p.CopyDB["mysql"]},
		"clickhouse": &chsink.Reader{DB: ch, Database: p.CopyDB["clickhouse"]},
	}
	cfg := verify.DefaultConfig()
	cfg.Retries, cfg.RetryInterval = 0, 0
	out := map[string]*verify.Verifier{}
	for sink, cp := range copies {
		v, err := verify.New(cfg, src, cp, nil, nil, nil)
		if err != nil {
			t.Fatalf("verifier for %s: %v", sink, err)
		}
		out[sink] = v
	}
	return out
}

// Mismatches verifies every table of the source database against every copy once and returns
// a description of each difference (empty when all copies match).
func (p *Pipeline) Mismatches(ctx context.Context, t testing.TB, vs map[string]*verify.Verifier) ([]string, error) {
	t.Helper()
	var out []string
	for _, sink := range Sinks {
		v := vs[sink]
		tables, err := v.Tables(ctx, []string{p.SourceDB})
		if err != nil {
			return nil, err
		}
		for _, ref := range tables {
			res, err := v.Table(ctx, ref)
			if err != nil {
				return nil, fmt.Errorf("verify %s on %s: %w", ref.Name, sink, err)
			}
			if !res.OK() {
				out = append(out, fmt.Sprintf("%s %s: %d source rows, %d copy rows, %d differing keys (first %v)",
					sink, ref.Name, res.SourceRows, res.CopyRows, len(res.Diffs), firstDiffs(res.Diffs, 3)))
			}
		}
	}
	return out, nil
}

func firstDiffs(d []verify.KeyDiff, n int) string {
	var parts []string
	for i := 0; i < len(d) && i < n; i++ {
		parts = append(parts, fmt.Sprintf("%s %s", d[i].Kind, strings.Join(d[i].Key, ",")))
	}
	return strings.Join(parts, "; ")
}

// WaitConverged polls verify until every copy matches the source on every table, failing the test
// with the last differences and the process logs after timeout. It returns how long it waited.
func (p *Pipeline) WaitConverged(ctx context.Context, t testing.TB, timeout time.Duration) time.Duration {
	t.Helper()
	vs := p.verifiers(t)
	start := time.Now()
	var last []string
	var lastErr error
	for time.Since(start) < timeout {
		last, lastErr = p.Mismatches(ctx, t, vs)
		if lastErr == nil && len(last) == 0 {
			return time.Since(start)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for the copies to converge: %v", ctx.Err())
		case <-time.After(2 * time.Second):
		}
	}
	t.Fatalf("copies did not converge within %s: err=%v\n%s\nlogs:\n%s", timeout, lastErr, strings.Join(last, "\n"), p.Logs())
	return 0
}
