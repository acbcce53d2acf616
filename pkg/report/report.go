// Package report runs the big-data team's report queries (schemas/reports) against the source, the
// MySQL copy's live views or the ClickHouse copy, and compares answers across engines.
//
// A report is a name with one query per Dialect. The queries return the same columns in the same
// order on every engine; values come back as text so that results can be printed and compared
// (Compare normalises numeric formatting, e.g. "12.30" on MariaDB and "12.3" on ClickHouse).
package report

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/ferry-cdc/ferry/schemas/reports"
)

// Dialect selects the SQL dialect of a report query.
type Dialect string

// Supported dialects.
const (
	// MySQL runs against the source or the MySQL copy's live views (tombstones hidden).
	MySQL Dialect = "mysql"
	// ClickHouse runs against the ClickHouse copy (queries read every table FINAL, _deleted = 0).
	ClickHouse Dialect = "clickhouse"
)

// ErrUnknownReport is returned (wrapped) for a report name or dialect that does not exist.
var ErrUnknownReport = errors.New("unknown report")

// Names lists the reports available in every dialect, sorted.
func Names() []string {
	entries, err := fs.ReadDir(reports.FS, string(MySQL))
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".sql")
		if _, err := Query(ClickHouse, name); err == nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// Query returns the SQL text of report name in dialect d.
func Query(d Dialect, name string) (string, error) {
	if name == "" || strings.ContainsAny(name, "/\\.") {
		return "", fmt.Errorf("%w: %q (choose one of %s)", ErrUnknownReport, name, strings.Join(Names(), ", "))
	}
	raw, err := fs.ReadFile(reports.FS, path.Join(string(d), name+".sql"))
	if err != nil {
		return "", fmt.Errorf("%w: %q in dialect %q (choose one of %s)", ErrUnknownReport, name, d, strings.Join(Names(), ", "))
	}
	return string(raw), nil
}

// Result is a report's answer: column names and rows of text values (nil = SQL NULL).
type Result struct {
	Name    string
	Columns []string
	Rows    [][]*string
}

// Run executes report name in dialect d on db. For MySQL, db must have the database holding the
// tables (source database or the copy's live-view database) as its default database; for
// ClickHouse, the copy database.
func Run(ctx context.Context, db *sql.DB, d Dialect, name string) (*Result, error) {
	q, err := Query(d, name)
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("run report %s (%s): %w", name, d, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("read columns of report %s: %w", name, err)
	}
	res := &Result{Name: name, Columns: cols}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("scan report %s row %d: %w", name, len(res.Rows)+1, err)
		}
		row := make([]*string, len(cols))
		for i, v := range vals {
			row[i] = Text(v)
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read report %s: %w", name, err)
	}
	return res, nil
}
