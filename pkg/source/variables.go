package source

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// ReadVariables reads the global server variables named (lower-case names) as SHOW GLOBAL
// VARIABLES reports them; a variable the server lacks is absent from the map.
func ReadVariables(ctx context.Context, db *sql.DB, names []string) (map[string]string, error) {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "'" + strings.ReplaceAll(n, "'", "''") + "'"
	}
	rows, err := db.QueryContext(ctx, "SHOW GLOBAL VARIABLES WHERE Variable_name IN ("+strings.Join(quoted, ", ")+")")
	if err != nil {
		return nil, fmt.Errorf("read server variables: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return nil, fmt.Errorf("read server variables: %w", err)
		}
		out[strings.ToLower(name)] = value
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read server variables: %w", err)
	}
	return out, nil
}
