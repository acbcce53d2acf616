package source

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
)

// RowSet returns the distinct row hashes of the whole table (filter applied): how a table
// without a primary key, whose copy keeps the set of its distinct rows, is compared.
func (s *Reader) RowSet(ctx context.Context) (map[uint64]bool, error) {
	return ScanRowSet(ctx, s.db, "SELECT DISTINCT CAST("+s.hash+" AS CHAR) FROM "+s.table+" WHERE "+s.where("1 = 1"), s.table)
}

// ScanRowSet runs q, whose one column is a row hash as decimal text, and returns the set of
// hashes; table names the table in errors.
func ScanRowSet(ctx context.Context, db *sql.DB, q, table string) (map[uint64]bool, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read row hashes of %s: %w", table, err)
	}
	defer rows.Close()
	out := map[uint64]bool{}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("read row hashes of %s: %w", table, err)
		}
		n, err := strconv.ParseUint(h, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("parse row hash of %s: %w", table, err)
		}
		out[n] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read row hashes of %s: %w", table, err)
	}
	return out, nil
}
