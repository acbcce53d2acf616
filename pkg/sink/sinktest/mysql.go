package sinktest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/sink"
)

// ReadMySQL reads the live rows of table from a MySQL copy's view database as canonical event
// strings by Key (BIT as decimal text, binary values re-encoded with event.EncodeBytes).
func ReadMySQL(ctx context.Context, db *sql.DB, viewDB string, table *sink.Table) (map[string][]*string, error) {
	cols := make([]string, len(table.Columns))
	for i, c := range table.Columns {
		q := "`" + strings.ReplaceAll(c.Name, "`", "``") + "`"
		cols[i] = q
		if strings.HasPrefix(c.MySQLType, "bit") {
			cols[i] = "CAST(" + q + " AS UNSIGNED)"
		}
	}
	rows, err := db.QueryContext(ctx, fmt.Sprintf("SELECT %s FROM `%s`.`%s`", strings.Join(cols, ", "), viewDB, table.Name))
	if err != nil {
		return nil, fmt.Errorf("read view %s.%s: %w", viewDB, table.Name, err)
	}
	defer rows.Close()
	out := map[string][]*string{}
	for rows.Next() {
		raw := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		vals := make([]*string, len(cols))
		for i, b := range raw {
			if b == nil {
				continue
			}
			s := string(b)
			if ct, _ := event.ParseMySQLType(table.Columns[i].MySQLType); ct.IsBinary() {
				s = event.EncodeBytes(b)
			}
			vals[i] = &s
		}
		out[Key(table, vals)] = vals
	}
	return out, rows.Err()
}
