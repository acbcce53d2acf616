package mysqlsink

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/sink"
)

// group is the rows of one batch that share a table shape, with how to write them.
type group struct {
	table   *sink.Table
	rows    []*sink.Row
	copy    *copyTable
	cols    []int       // indexes into table.Columns of the columns the copy has
	convert []converter // per entry of cols
	prefix  string      // INSERT INTO ... VALUES
	suffix  string      // ON DUPLICATE KEY UPDATE ...
}

// converter turns an event value into a driver argument.
type converter func(v *string) (any, error)

// Apply writes the batch in one transaction. Copy tables missing in the copy are created first
// (DDL cannot run inside the transaction).
func (s *Sink) Apply(ctx context.Context, b *sink.Batch) error {
	groups, err := s.plan(ctx, b)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin mysql copy transaction: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	for _, g := range groups {
		if err := s.writeGroup(ctx, tx, g); err != nil {
			s.forget(g.table.Database, g.table.Name)
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit mysql copy transaction: %w", err)
	}
	return nil
}

// plan groups rows by table shape (keeping their order) and prepares each group.
func (s *Sink) plan(ctx context.Context, b *sink.Batch) ([]*group, error) {
	return sink.PlanGroups(ctx, b, func(g *sink.Group) *group { return &group{table: g.Table, rows: g.Rows} }, s.prepare)
}

// prepare resolves the copy table and builds the statement text of a group.
func (s *Sink) prepare(ctx context.Context, g *group) error {
	if err := g.table.Validate(); err != nil {
		return err
	}
	ct, err := s.table(ctx, g.table)
	if err != nil {
		return err
	}
	g.copy = ct
	isPK := map[string]bool{}
	for _, pk := range g.table.PK {
		if !ct.has(pk) {
			return fmt.Errorf("%w: copy table %s.%s lacks primary key column %s; migrate it with `replayer schema`", sink.ErrBadRow, ct.db, ct.name, pk)
		}
		isPK[pk] = true
	}
	var names, updates []string
	guard := "VALUES(`_version`) > `_version`"
	for i, c := range g.table.Columns {
		if !ct.has(c.Name) {
			continue // dropped in the copy: write only columns the copy has
		}
		conv, err := converterFor(c)
		if err != nil {
			return err
		}
		g.cols = append(g.cols, i)
		g.convert = append(g.convert, conv)
		q := quote(c.Name)
		names = append(names, q)
		if !isPK[c.Name] {
			updates = append(updates, fmt.Sprintf("%s = IF(%s, VALUES(%s), %s)", q, guard, q, q))
		}
	}
	names = append(names, "`_version`", "`_deleted`")
	// Invariant: `_version` is assigned LAST, because MySQL evaluates ON DUPLICATE KEY UPDATE
	// assignments left to right and later ones see the new values of earlier ones.
	updates = append(updates, "`_deleted` = IF("+guard+", VALUES(`_deleted`), `_deleted`)",
		"`_version` = IF("+guard+", VALUES(`_version`), `_version`)")
	g.prefix = fmt.Sprintf("INSERT INTO %s.%s (%s) VALUES ", quote(ct.db), quote(ct.name), strings.Join(names, ", "))
	g.suffix = " ON DUPLICATE KEY UPDATE " + strings.Join(updates, ", ")
	return nil
}

// writeGroup writes a group's rows with as few statements as the row and byte caps allow.
func (s *Sink) writeGroup(ctx context.Context, tx *sql.Tx, g *group) error {
	placeholder := "(" + strings.Repeat("?, ", len(g.cols)+1) + "?)"
	var sb strings.Builder
	args := make([]any, 0, len(g.rows)*(len(g.cols)+2))
	n, bytes := 0, 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		sb.WriteString(g.suffix)
		if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
			return classify(fmt.Errorf("write %d rows to %s.%s: %w", n, g.copy.db, g.copy.name, err))
		}
		sb.Reset()
		args, n, bytes = args[:0], 0, 0
		return nil
	}
	for _, r := range g.rows {
		if n == 0 {
			sb.WriteString(g.prefix)
		} else {
			sb.WriteString(", ")
		}
		sb.WriteString(placeholder)
		for j, ci := range g.cols {
			v, err := g.convert[j](r.Values[ci])
			if err != nil {
				return fmt.Errorf("%s.%s column %s (version %d): %w", g.table.Database, g.table.Name, g.table.Columns[ci].Name, r.Version, err)
			}
			if r.Values[ci] != nil {
				bytes += len(*r.Values[ci])
			}
			args = append(args, v)
		}
		args = append(args, r.Version, deletedFlag(r.Op))
		n++
		if n >= s.cfg.StatementRows || bytes >= s.cfg.StatementBytes {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

func deletedFlag(op sink.Op) int {
	if op == sink.OpDelete {
		return 1
	}
	return 0
}

// converterFor returns how values of column c become driver arguments: binary values are
// decoded to bytes, BIT values to integers; everything else is sent as text, which MySQL
// converts exactly (decimals, big unsigned integers, datetimes, enum members).
func converterFor(c sink.Column) (converter, error) {
	ct, err := event.ParseMySQLType(c.MySQLType)
	if err != nil {
		return nil, fmt.Errorf("%w: column %s: %v", sink.ErrBadRow, c.Name, err)
	}
	switch {
	case sink.IsBytes(ct):
		return func(v *string) (any, error) {
			if v == nil {
				return nil, nil
			}
			b, err := event.DecodeBytes(*v)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", sink.ErrBadRow, err)
			}
			return b, nil
		}, nil
	case ct.Base == "bit":
		return func(v *string) (any, error) {
			if v == nil {
				return nil, nil
			}
			n, err := strconv.ParseUint(*v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%w: bit value %q is not decimal text", sink.ErrBadRow, *v)
			}
			return n, nil
		}, nil
	}
	return func(v *string) (any, error) {
		if v == nil {
			return nil, nil
		}
		return *v, nil
	}, nil
}

// MySQL errors that mean the row itself can never be written (retrying cannot help).
var permanentCodes = map[uint16]bool{
	1264: true, // out of range value
	1265: true, // data truncated
	1292: true, // incorrect datetime value
	1366: true, // incorrect integer/string value
	1406: true, // data too long
	1048: true, // column cannot be null
	1452: true, // foreign key (should not exist in a copy)
}

// classify marks permanent data errors with sink.ErrBadRow.
func classify(err error) error {
	var me *mysql.MySQLError
	if errors.As(err, &me) && permanentCodes[me.Number] {
		return fmt.Errorf("%w: %w", sink.ErrBadRow, err)
	}
	return err
}
