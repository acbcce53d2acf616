package backfill

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/source"
)

// repairBatch is the number of keys read per query by RepairKeys.
const repairBatch = 500

// RepairKeys re-snapshots individual keys of table ("db.table"): in one consistent snapshot it
// reads the rows of keys (primary key values in key order, encoded as in events) and publishes
// the rows that exist as snapshot INSERTs and the keys the source no longer has as snapshot
// DELETEs (tombstones), all with the snapshot's version. Used by verify --repair.
//
// A copy row whose stored version is above the snapshot's (which no replayed change can
// produce) is not overwritten: last-writer-wins by version holds for repairs too.
func (b *Backfiller) RepairKeys(ctx context.Context, table string, keys [][]string) (int, error) {
	db, tn, err := ParseTableName(table)
	if err != nil {
		return 0, err
	}
	t, err := b.loadTable(ctx, db, tn)
	if err != nil {
		return 0, err
	}
	if b.builder.QueueCount, err = b.pub.Queues(ctx); err != nil {
		return 0, fmt.Errorf("repair %s: %w", table, err)
	}
	conn, err := b.src.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("connect to source: %w", err)
	}
	defer conn.Close()
	b.advanceBinlog(ctx, conn)
	pos, err := source.BeginSnapshot(ctx, conn, false)
	if err != nil {
		return 0, err
	}
	defer source.Rollback(ctx, conn)
	version, err := snapshotVersion(b.cfg.Epoch, pos)
	if err != nil {
		return 0, err
	}
	var found, gone [][]*string
	for start := 0; start < len(keys); start += repairBatch {
		f, g, err := readKeys(ctx, conn, t, keys[start:min(start+repairBatch, len(keys))])
		if err != nil {
			return 0, err
		}
		found, gone = append(found, f...), append(gone, g...)
	}
	msgs := b.builder.Build(t, event.TypeInsert, found, version, pos)
	if len(gone) > 0 {
		msgs = append(msgs, b.builder.Build(t, event.TypeDelete, gone, version, pos)...)
	}
	if err := b.pub.Publish(ctx, msgs); err != nil {
		return 0, fmt.Errorf("publish repair of %d keys of %s (snapshot %s): %w", len(keys), t, pos, err)
	}
	b.log.Info("repaired keys", "table", table, "republished", len(found), "tombstoned", len(gone), "snapshot", pos.String())
	return len(keys), nil
}

// advanceBinlog rotates the source's binlog (FLUSH BINARY LOGS) so that the repair snapshot's
// position, and with it the version of the re-snapshotted rows, is above every earlier snapshot.
// Without it, on a source that wrote nothing since the copy row was last written by a backfill,
// the repair would carry the same version as the (corrupted) copy row and last-writer-wins would
// keep the copy row. Needs RELOAD (MySQL) or BINLOG ADMIN/RELOAD (MariaDB); without the grant the
// repair still runs and works whenever the source has written anything since.
func (b *Backfiller) advanceBinlog(ctx context.Context, conn *sql.Conn) {
	if err := source.FlushBinaryLogs(ctx, conn); err != nil {
		b.log.Warn("cannot rotate the binlog before a repair; rows whose copy version equals the last snapshot's may stay unrepaired until the source writes again (grant RELOAD/BINLOG ADMIN)", "err", err)
	}
}

// readKeys returns the rows of keys that exist and, as rows with the key and every other column
// NULL, the keys that do not (published as DELETE tombstones: the replayer needs every column).
func readKeys(ctx context.Context, conn *sql.Conn, t *Table, keys [][]string) (found, gone [][]*string, err error) {
	var args []any
	for _, k := range keys {
		vals, err := t.keyArgs(k, "repair key", "")
		if err != nil {
			return nil, nil, err
		}
		args = append(args, vals...)
	}
	q := source.KeysQuery(t.Database, t.Name, t.selectList(), t.PK, len(keys))
	found, err = scanRows(ctx, conn, t, q, args)
	if err != nil {
		return nil, nil, err
	}
	have := map[string]bool{}
	for _, r := range found {
		have[strings.Join(t.KeyOf(r), "\x00")] = true
	}
	for _, k := range keys {
		if have[strings.Join(k, "\x00")] {
			continue
		}
		row := make([]*string, len(t.Columns))
		for i, idx := range t.pkIdx {
			v := k[i]
			row[idx] = &v
		}
		gone = append(gone, row)
	}
	return found, gone, nil
}
