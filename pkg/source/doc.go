// Package source holds the SQL that reads the source database (MariaDB/MySQL): identifier
// quoting for the MySQL dialect, the information_schema reads (tables, columns, primary key),
// the consistent-snapshot chunk and key reads of backfill and repair, and the checksum and
// row-hash reads of verify (docs/design.md sections 6 and 7).
//
// It links no sink package: the tailer binary, which links pkg/backfill, must not link
// pkg/sink/... (`go list -deps ./cmd/binlog-tailer`). The MySQL copy engine
// (pkg/sink/mysqlsink) reuses its quoting and its verify reader, with a live-row filter.
package source
