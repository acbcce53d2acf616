package canal

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/google/uuid"

	"github.com/ferry-cdc/ferry/pkg/checkpoint"
	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/publish"
)

// Tailer reads the binlog and feeds the publisher. One goroutine (Run) owns all of its fields.
type Tailer struct {
	cfg     Config
	log     *slog.Logger
	metrics *Metrics
	filter  *filter
	pub     *publish.Publisher
	batch   *publish.Grouper
	tables  map[string]*tableInfo // schemaKey -> event-time schema
	rows    *rawDecoder           // the current connection's rows-event decoder (streamOnce)
	scratch imageScratch          // rowImages' buffers, reused from event to event

	epoch   uint8
	file    string        // current binlog file
	fileIdx uint32        // its index
	gtid    string        // GTID of the current transaction
	gset    mysql.GTIDSet // executed GTID set (nil when unknown)
	gsetTx  string        // Message.GTID of the current transaction: gset with it, else its GTID
	inTx    bool
	wpos    posWidener // 64-bit positions in the current file
	evEnd   uint64     // end position of the current event (64-bit)
	floor   uint64     // version of this connection's resume point (forward.go)
	xa      xaState    // XA transactions between XA START and their outcome

	last       checkpoint.State // latest transaction boundary read
	registered bool             // last is registered with the ack tracker
	lastFlush  time.Time
	hooks      testHooks
}

// testHooks let tests observe the stream; zero in production.
type testHooks struct {
	afterEvent func(*replication.BinlogEvent) error // a non-nil error breaks the stream like a network error
}

// NewTailer builds a tailer that publishes through pub, starting at start (a boundary).
func NewTailer(cfg Config, log *slog.Logger, m *Metrics, pub *publish.Publisher, start checkpoint.State) (*Tailer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := &Tailer{cfg: cfg, log: log, metrics: m, filter: newFilter(&cfg), pub: pub, batch: publish.NewGrouper(pub),
		tables: map[string]*tableInfo{}, epoch: start.Epoch, last: start, lastFlush: time.Now()}
	if start.GTID != "" {
		gs, err := mysql.ParseGTIDSet(cfg.Flavor, start.GTID)
		if err != nil {
			return nil, fmt.Errorf("parse start GTID set %q (%s flavor): %w", start.GTID, cfg.Flavor, err)
		}
		t.gset = gs
	} else if cfg.Flavor == mysql.MariaDBFlavor {
		t.gset, _ = mysql.ParseGTIDSet(cfg.Flavor, "") // MariaDB positions are per domain: learnable from the stream
	}
	return t, nil
}

// handle processes one binlog event; ctx bounds how long publishing may wait for a full lane.
func (t *Tailer) handle(ctx context.Context, e *replication.BinlogEvent) error {
	h := e.Header
	t.metrics.Events.WithLabelValues(h.EventType.String()).Inc()
	if h.LogPos > 0 {
		t.evEnd = t.wpos.end(h.LogPos)
		t.metrics.HeadPos.Set(float64(t.evEnd))
	}
	var err error
	switch ev := e.Event.(type) {
	case *replication.RotateEvent:
		err = t.onRotate(ev)
	case *replication.MariadbGTIDEvent:
		t.gtid, t.inTx = ev.GTID.String(), true
		if ev.Flags&flPreparedXA != 0 {
			t.xa.start() // rows wait for XA COMMIT (xa.go)
		}
		if s, ok := t.gset.(*mysql.MariadbGTIDSet); ok {
			err = s.AddSet(&ev.GTID)
		}
		t.setGTIDSetText()
	case *replication.GTIDEvent:
		err = t.onMySQLGTID(ev)
	case *replication.RowsEvent:
		t.inTx = true
		err = t.onRows(ctx, h, ev)
	case *replication.XIDEvent:
		err = t.onBoundary(ctx, h)
	case *replication.QueryEvent:
		err = t.onQuery(ctx, h, ev)
	case *replication.HeartbeatEvent:
		t.onHeartbeat(ctx)
	case *replication.TransactionPayloadEvent:
		err = t.compressedTransaction(h)
	default:
		if h.EventType == replication.XA_PREPARE_LOG_EVENT {
			t.xaPrepared()
		}
	}
	if err == nil && t.hooks.afterEvent != nil {
		err = t.hooks.afterEvent(e)
	}
	return err
}

// compressedTransaction stops the tailer at a MySQL compressed transaction (TRANSACTION_PAYLOAD
// event): its rows are not read, and going on would drop them from the copies without a word.
// The start check refuses binlog_transaction_compression=ON; this catches a source switched on
// while the tailer runs. The checkpoint stays before the transaction.
func (t *Tailer) compressedTransaction(h *replication.EventHeader) error {
	return fmt.Errorf("%w: compressed transaction (TRANSACTION_PAYLOAD event) at %s:%d: binlog_transaction_compression=ON; "+
		"SET GLOBAL binlog_transaction_compression=OFF (and in the server config), then restart the tailer: "+
		"it resumes before this transaction, which the source keeps compressed, so resync from the first "+
		"uncompressed position (binlog-tailer resync --from-file F --from-pos P) and backfill",
		ErrSourceSettings, t.file, t.evEnd-uint64(h.EventSize))
}

func (t *Tailer) onRotate(ev *replication.RotateEvent) error {
	name := string(ev.NextLogName)
	idx, err := event.FileIndex(name)
	if err != nil {
		return fmt.Errorf("rotate to %s: %w", name, err)
	}
	t.file, t.fileIdx = name, idx
	if name == t.last.File && uint32(t.last.Pos) == uint32(ev.Position) {
		t.wpos.reset(t.last.Pos) // a connection's start: the checkpoint has the 64-bit position
	} else {
		t.wpos.reset(ev.Position)
	}
	t.metrics.HeadFile.Set(float64(idx))
	return nil
}

func (t *Tailer) onMySQLGTID(ev *replication.GTIDEvent) error {
	u, err := uuid.FromBytes(ev.SID)
	if err != nil {
		return fmt.Errorf("decode GTID event: %w", err)
	}
	t.gtid, t.inTx = fmt.Sprintf("%s:%d", u, ev.GNO), true
	if s, ok := t.gset.(*mysql.MysqlGTIDSet); ok {
		s.AddGTID(u, ev.GNO)
	}
	t.setGTIDSetText()
	return nil
}

// setGTIDSetText sets the top-level gtid of the current transaction's messages as Canal fills it:
// the executed GTID set including this transaction; the transaction's own GTID (itself a one-GTID
// set) when the tailer does not know the set (MySQL started from a file position).
func (t *Tailer) setGTIDSetText() {
	t.gsetTx = t.gtid
	if t.gset != nil {
		t.gsetTx = t.gset.String()
	}
}

// onQuery handles BEGIN/COMMIT and DDL; DDL is published to every queue.
func (t *Tailer) onQuery(ctx context.Context, h *replication.EventHeader, ev *replication.QueryEvent) error {
	isCommit, isControl := isTxControl(string(ev.Query))
	if xaEnd, err := t.onXA(ctx, string(ev.Query)); err != nil || xaEnd {
		if err != nil {
			return err
		}
		return t.onBoundary(ctx, h)
	}
	if isControl {
		if isCommit {
			return t.onBoundary(ctx, h)
		}
		t.inTx = true
		return nil
	}
	if err := t.publishDDL(ctx, h, ev); err != nil {
		return err
	}
	return t.onBoundary(ctx, h) // a DDL statement commits implicitly
}

func (t *Tailer) publishDDL(ctx context.Context, h *replication.EventHeader, ev *replication.QueryEvent) error {
	sql := string(ev.Query)
	info := parseDDL(sql, string(ev.Schema))
	if info.db == "" || (info.table != "" && !t.filter.table(info.db, info.table)) ||
		(info.table == "" && !t.filter.database(info.db)) {
		t.log.Debug("DDL not published (no database or filtered)", "sql", truncate(sql, 200))
		return nil
	}
	start := t.evEnd - uint64(h.EventSize)
	if err := t.forward(start); err != nil {
		return err
	}
	v, err := event.Version(t.epoch, t.fileIdx, start, 0)
	if err != nil {
		return fmt.Errorf("DDL at %s:%d: %w", t.file, start, err)
	}
	m := &event.Message{Database: info.db, Table: info.table, IsDDL: true, Type: info.typ,
		ES: int64(h.Timestamp) * 1000, TS: time.Now().UnixMilli(), SQL: sql, GTID: t.gsetTx,
		Ferry: &event.Meta{Format: event.Format, Epoch: t.epoch, Versions: []uint64{v}, File: t.file, Pos: start,
			GTID: t.gtid, ServerID: h.ServerID}}
	if err := t.batch.SealAll(ctx); err != nil { // the rows before the DDL (AddDDL would too; seal before logging)
		return err
	}
	t.log.Info("publishing DDL to every queue", "database", info.db, "table", info.table, "type", info.typ,
		"binlog_file", t.file, "binlog_pos", start)
	t.metrics.Rows.WithLabelValues(info.db+"."+info.table, "DDL").Inc()
	return t.batch.AddDDL(ctx, m)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// onBoundary marks the end of a transaction at the event's end position.
func (t *Tailer) onBoundary(ctx context.Context, h *replication.EventHeader) error {
	if t.xa.pending() { // the checkpoint stays before a prepared XA transaction (xa.go)
		t.inTx, t.gtid = false, ""
		return t.flush(ctx)
	}
	st := checkpoint.State{File: t.file, Pos: t.evEnd, Epoch: t.epoch, ServerID: h.ServerID, UpdatedAt: time.Now()}
	if t.gset != nil {
		st.GTID = t.gset.String()
	}
	t.last, t.registered, t.inTx, t.gtid, t.gsetTx = st, false, false, "", ""
	t.observeEventTime(h)
	if t.batch.Rows() == 0 || time.Since(t.lastFlush) >= t.cfg.FlushInterval {
		return t.flush(ctx)
	}
	return nil
}

// flush seals every open batch and registers the latest boundary: every row before it is now in a
// sealed message, so the boundary is safe once all messages issued so far are acknowledged. ctx
// bounds how long sealing may wait for a full lane.
func (t *Tailer) flush(ctx context.Context) error {
	if err := t.batch.SealAll(ctx); err != nil {
		return err
	}
	if !t.registered && t.last.File != "" {
		t.pub.Boundary(t.last)
		t.registered = true
	}
	t.lastFlush = time.Now()
	t.metrics.PendingMessages.Set(float64(t.pub.Pending()))
	return nil
}

// onHeartbeat: the source is idle. Outside a transaction, re-register the last boundary with a new
// time so the checkpoint's updatedAt shows progress.
func (t *Tailer) onHeartbeat(ctx context.Context) {
	if t.inTx || t.batch.Rows() > 0 || t.last.File == "" {
		return
	}
	t.last.UpdatedAt = time.Now()
	t.registered = false
	_ = t.flush(ctx)
	t.metrics.Behind.Set(0)
}

func (t *Tailer) observeEventTime(h *replication.EventHeader) {
	if h.Timestamp == 0 {
		return
	}
	t.metrics.LastEvent.Set(float64(h.Timestamp))
	behind := time.Since(time.Unix(int64(h.Timestamp), 0)).Seconds()
	t.metrics.Behind.Set(max(behind, 0))
}
