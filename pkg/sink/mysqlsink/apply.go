package mysqlsink

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/go-sql-driver/mysql"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/sink"
)

// plan is how rows of one source table shape are written to one version of its copy table,
// built once and reused by every batch while the copy is unchanged (sink.PlanCache): the
// source columns the copy has, their converters and the statement text per row count.
type plan struct {
	copy    *copyTable
	cols    []int       // indexes into the source table's Columns of the columns the copy has
	names   []string    // names of those columns, for errors
	convert []converter // per entry of cols
	prefix  string      // INSERT INTO ... VALUES
	suffix  string      // ON DUPLICATE KEY UPDATE ...
	row     string      // one row's placeholders
	rowKey  bool        // the copy is keyed by sink.MetaColumnRowKey: each row also gets its digest

	mu    sync.Mutex
	stmts map[int]string // full statement text by row count
}

// converter turns an event value into a driver argument.
type converter func(v *string) (any, error)

// Apply writes the batch in one transaction. Copy tables missing in the copy are created first
// (DDL cannot run inside the transaction).
func (s *Sink) Apply(ctx context.Context, b *sink.Batch) error {
	groups, plans, err := s.plans.ForBatch(ctx, b, s.table, buildPlan)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin mysql copy transaction: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	for i, g := range groups {
		if err := s.writeGroup(ctx, tx, g, plans[i]); err != nil {
			s.forget(g.Table.Database, g.Table.Name)
			s.plans.Forget(g.Table)
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit mysql copy transaction: %w", err)
	}
	return nil
}

// buildPlan resolves the columns and builds the statement parts for rows of t into ct.
func buildPlan(t *sink.Table, ct *copyTable) (*plan, error) {
	if err := ct.CheckWritable(t); err != nil {
		return nil, err
	}
	isPK := map[string]bool{}
	for _, pk := range t.PK {
		isPK[pk] = true
	}
	p := &plan{copy: ct, stmts: map[int]string{}, rowKey: ct.RowKey}
	var names, updates []string
	guard := "VALUES(`_version`) > `_version`"
	for i, c := range t.Columns {
		if !ct.Has(c.Name) {
			continue // dropped in the copy: write only columns the copy has
		}
		conv, err := converterFor(c)
		if err != nil {
			return nil, err
		}
		p.cols, p.names, p.convert = append(p.cols, i), append(p.names, c.Name), append(p.convert, conv)
		q := quote(c.Name)
		names = append(names, q)
		if !isPK[c.Name] {
			updates = append(updates, fmt.Sprintf("%s = IF(%s, VALUES(%s), %s)", q, guard, q, q))
		}
	}
	names = append(names, "`_version`", "`_deleted`")
	if p.rowKey {
		names = append(names, quote(sink.MetaColumnRowKey))
	}
	// Invariant: `_version` is assigned LAST, because MySQL evaluates ON DUPLICATE KEY UPDATE
	// assignments left to right and later ones see the new values of earlier ones.
	updates = append(updates, "`_deleted` = IF("+guard+", VALUES(`_deleted`), `_deleted`)",
		"`_version` = IF("+guard+", VALUES(`_version`), `_version`)")
	p.prefix = fmt.Sprintf("INSERT INTO %s.%s (%s) VALUES ", quote(ct.DB), quote(ct.Name), strings.Join(names, ", "))
	p.suffix = " ON DUPLICATE KEY UPDATE " + strings.Join(updates, ", ")
	p.row = "(" + strings.Repeat("?, ", p.width()-1) + "?)"
	return p, nil
}

// width is the number of arguments per row: the columns, _version, _deleted and the row key.
func (p *plan) width() int {
	if p.rowKey {
		return len(p.cols) + 3
	}
	return len(p.cols) + 2
}

// statement returns the statement text for n rows, built once per row count (batches mostly
// repeat the same few counts: the row cap and the remainders).
func (p *plan) statement(n int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if q, ok := p.stmts[n]; ok {
		return q
	}
	var sb strings.Builder
	sb.Grow(len(p.prefix) + n*(len(p.row)+2) + len(p.suffix))
	sb.WriteString(p.prefix)
	for i := range n {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(p.row)
	}
	sb.WriteString(p.suffix)
	q := sb.String()
	p.stmts[n] = q
	return q
}

// writeGroup writes a group's rows with as few statements as the row and byte caps allow.
func (s *Sink) writeGroup(ctx context.Context, tx *sql.Tx, g *sink.Group, p *plan) error {
	width := p.width()
	args := make([]any, 0, min(len(g.Rows), s.cfg.StatementRows)*width)
	bytes := 0
	flush := func() error {
		n := len(args) / width
		if n == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, p.statement(n), args...); err != nil {
			return classify(fmt.Errorf("write %d rows to %s.%s: %w", n, p.copy.DB, p.copy.Name, err))
		}
		clear(args)
		args, bytes = args[:0], 0
		return nil
	}
	for _, r := range g.Rows {
		for j, ci := range p.cols {
			v, err := p.convert[j](r.Values[ci])
			if err != nil {
				return fmt.Errorf("%s.%s column %s (version %d): %w", g.Table.Database, g.Table.Name, p.names[j], r.Version, err)
			}
			if r.Values[ci] != nil {
				bytes += len(*r.Values[ci])
			}
			args = append(args, v)
		}
		args = append(args, r.Version, deletedFlag(r.Op))
		if p.rowKey {
			args = append(args, sink.RowDigest(r.Values))
		}
		if len(args)/width >= s.cfg.StatementRows || bytes >= s.cfg.StatementBytes {
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
	ct, err := c.Parsed()
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
