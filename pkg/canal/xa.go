package canal

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferry-cdc/ferry/pkg/event"
)

// MariaDB event-group flags of a GTID event for XA (log_event.h): the group of XA START ... XA
// PREPARE, and the group of its later XA COMMIT / XA ROLLBACK.
const (
	flPreparedXA  = 0x40
	flCompletedXA = 0x80
)

// ErrXAUnknown means an XA COMMIT arrived for a transaction whose rows (written at its XA
// PREPARE) were not read, because the tailer started after them.
var ErrXAUnknown = fmt.Errorf("XA COMMIT of a transaction prepared before the tailer's start position")

// xaState keeps the rows of XA transactions from XA START until their outcome. MariaDB writes the
// rows at XA PREPARE and the outcome as a separate event group later (other transactions may
// come between): rows are published only at XA COMMIT, dropped at XA ROLLBACK, and while any is
// prepared the checkpoint stays before it (onBoundary), so a restart reads its rows again. The
// rows keep the versions of their binlog positions: the transaction held their row locks until
// its outcome, so no change of the same keys lies between.
type xaState struct {
	open     *xaTx            // reading XA START .. XA PREPARE
	prepared map[string]*xaTx // by XID text ("X'...',X'...',1"), waiting for the outcome
}

type xaTx struct {
	xid  string
	rows []xaRow
}

type xaRow struct {
	tmpl    *event.Message
	row     []*string // values in tmpl.Ferry.Columns order
	old     map[string]*string
	version uint64
}

// pending reports prepared transactions without an outcome yet.
func (x *xaState) pending() bool { return len(x.prepared) > 0 }

// start begins reading an XA transaction's rows (GTID event with the prepared-XA flag).
func (x *xaState) start() { x.open = &xaTx{} }

// addRow routes a decoded row into the open XA transaction or the grouper.
func (t *Tailer) addRow(ctx context.Context, tmpl *event.Message, row []*string, old map[string]*string, version uint64) error {
	if t.xa.open != nil {
		t.xa.open.rows = append(t.xa.open.rows, xaRow{tmpl, row, old, version})
		return nil
	}
	return t.batch.AddValues(ctx, tmpl, row, old, version)
}

// onXA handles XA statements: XA END names the open transaction, XA PREPARE (a query in some
// servers, an XA_prepare event in MariaDB) parks it, XA COMMIT publishes its rows, XA ROLLBACK
// drops them. It returns whether the statement ended a transaction (a checkpoint boundary).
func (t *Tailer) onXA(ctx context.Context, stmt string) (boundary bool, err error) {
	s := strings.ToUpper(strings.TrimSpace(leadingComment.ReplaceAllString(stmt, "")))
	xid := func(verb string) string {
		return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(strings.TrimPrefix(s, verb)), "ONE PHASE"))
	}
	switch {
	case strings.HasPrefix(s, "XA END"):
		if t.xa.open != nil {
			t.xa.open.xid = xid("XA END")
		}
	case strings.HasPrefix(s, "XA PREPARE"):
		t.xaPrepared()
	case strings.HasPrefix(s, "XA COMMIT"):
		return true, t.xaCommit(ctx, xid("XA COMMIT"))
	case strings.HasPrefix(s, "XA ROLLBACK"):
		id := xid("XA ROLLBACK")
		if t.xa.open != nil && t.xa.open.xid == id {
			t.xa.open = nil
		}
		delete(t.xa.prepared, id)
		return true, nil
	}
	return false, nil
}

// xaPrepared parks the open XA transaction until its outcome.
func (t *Tailer) xaPrepared() {
	if t.xa.open == nil {
		return
	}
	if t.xa.prepared == nil {
		t.xa.prepared = map[string]*xaTx{}
	}
	t.xa.prepared[t.xa.open.xid] = t.xa.open
	t.xa.open = nil
}

// xaCommit publishes the rows of a prepared (or one-phase) XA transaction.
func (t *Tailer) xaCommit(ctx context.Context, id string) error {
	tx := t.xa.prepared[id]
	if tx == nil && t.xa.open != nil && (t.xa.open.xid == id || t.xa.open.xid == "") {
		tx = t.xa.open // XA COMMIT ... ONE PHASE
	}
	if tx == nil {
		return fmt.Errorf("%w (xid %s at %s): its rows are not in the stream; backfill the tables it changed", ErrXAUnknown, id, t.file)
	}
	delete(t.xa.prepared, id)
	if tx == t.xa.open {
		t.xa.open = nil
	}
	for _, r := range tx.rows {
		if err := t.batch.AddValues(ctx, r.tmpl, r.row, r.old, r.version); err != nil {
			return err
		}
	}
	return nil
}
