package source

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
)

// EachDriverRow runs q with args on conn and calls fn with every row as the driver returns it
// (go-sql-driver's text rows: nil, []byte, int64, uint64 or float64 per column), reading the
// driver's rows directly (Conn.Raw). database/sql's Scan would render the integers and floats
// the driver has already parsed back into text, one conversion per value; with its locking that
// was about 5% of a backfill's CPU (docs/benchmarks-notes.md, twelfth session). The values are
// valid only during the call. args are interpolated by the driver (SessionConfig).
func EachDriverRow(ctx context.Context, conn *sql.Conn, q string, args []any, fn func([]driver.Value) error) error {
	return conn.Raw(func(dc any) error {
		rows, err := queryDriver(ctx, dc, q, args)
		if err != nil {
			return err
		}
		defer rows.Close()
		dest := make([]driver.Value, len(rows.Columns()))
		for {
			if err := rows.Next(dest); err == io.EOF {
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
