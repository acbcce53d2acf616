package service

import (
	"context"
	"database/sql"
	"fmt"
)

// queryer runs a query: *sql.DB or *sql.Tx.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryAll runs query and returns every row converted by scan (an empty, non-nil slice when
// there is none); any error is wrapped as "what: err". The rows are closed when it returns, so
// the caller may write on the same connection afterwards.
func queryAll[T any](ctx context.Context, q queryer, what string, scan func(*sql.Rows) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// scanID scans a single id column.
func scanID(rows *sql.Rows) (uint64, error) {
	var id uint64
	err := rows.Scan(&id)
	return id, err
}
