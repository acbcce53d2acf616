package source

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
)

// textRows is what Ferry's copy of go-sql-driver/mysql adds to its text-protocol rows
// (third_party/go-sql-driver-mysql/FERRY-PATCH.md): each value as the server's text.
type textRows interface {
	NextText(dest [][]byte) error
}

// EachTextRow runs q with args on conn and calls fn with every row as the server sent it: one
// element per column, the value's text, nil for NULL. It reads the driver's rows directly
// (Conn.Raw) with the patched driver's NextText. database/sql's Scan would render numbers the
// driver had parsed back into text, and the driver's own Next boxes every value into an
// interface (one allocation each) and parses every integer, which the backfill then formats
// again: together 10-15% of the backfill's own CPU (docs/benchmarks-notes.md, fourteenth
// session). The values are valid only during the call. args are interpolated by the driver
// (SessionConfig), so results come in the text protocol.
func EachTextRow(ctx context.Context, conn *sql.Conn, q string, args []any, fn func([][]byte) error) error {
	return conn.Raw(func(dc any) error {
		rows, err := queryDriver(ctx, dc, q, args)
		if err != nil {
			return err
		}
		defer rows.Close()
		tr, ok := rows.(textRows)
		if !ok {
			return fmt.Errorf("source driver rows %T cannot return text (build with Ferry's go.mod, which replaces go-sql-driver/mysql with third_party/go-sql-driver-mysql)", rows)
		}
		dest := make([][]byte, len(rows.Columns()))
		for {
			if err := tr.NextText(dest); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
			if err := fn(dest); err != nil {
				return err
			}
		}
	})
}

// queryDriver runs q with args on the driver connection dc.
func queryDriver(ctx context.Context, dc any, q string, args []any) (driver.Rows, error) {
	qc, ok := dc.(driver.QueryerContext)
	if !ok {
		return nil, fmt.Errorf("source driver connection %T cannot run queries (open the source with source.Open)", dc)
	}
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	rows, err := qc.QueryContext(ctx, q, named)
	if errors.Is(err, driver.ErrSkip) {
		return nil, fmt.Errorf("source driver would not interpolate the query's arguments (open the source with source.Open, which sets interpolateParams): %w", err)
	}
	return rows, err
}
