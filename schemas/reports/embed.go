// Package reports embeds the report queries of schemas/reports so that binaries carry them.
//
// Each report NAME has one file per SQL dialect: mysql/NAME.sql (run against the source or the
// MySQL copy's live views, which hide tombstones) and clickhouse/NAME.sql (run against the
// ClickHouse copy; every table is read as `FINAL` with `_deleted = 0`). Both files of a report
// return the same columns in the same order, so their answers can be compared row by row.
package reports

import "embed"

// FS holds mysql/*.sql and clickhouse/*.sql.
//
//go:embed mysql/*.sql clickhouse/*.sql
var FS embed.FS
