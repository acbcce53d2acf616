package canal

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/ferry-cdc/ferry/internal/retry"
	"github.com/ferry-cdc/ferry/pkg/checkpoint"
)

// Stream reads the binlog from t.last until ctx ends or a fatal error, reconnecting with backoff
// from the latest boundary after transient errors (rows after it are re-read with the same
// versions, so the only effect is duplicates). It never advances anything past unacknowledged
// messages: checkpoints are written by the caller from the ack tracker.
func (t *Tailer) Stream(ctx context.Context) error {
	backoff := retry.Backoff{First: 500 * time.Millisecond, Max: 30 * time.Second}
	var lastErr string
	repeats := 0
	byPos := false // after skipping a crashed file's tail: start by file/position, not GTID
	for {
		from := t.last
		progressBefore := t.last
		rd := connRead{file: from.File, end: from.Pos}
		err := t.streamOnce(ctx, from, byPos, &rd)
		if ctx.Err() != nil {
			return nil
		}
		fatal, cerr := classify(err, &t.cfg, fmt.Sprintf("start %s:%d gtid %q", from.File, from.Pos, from.GTID))
		if fatal && t.last == progressBefore && t.skipCrashTail(ctx, err, from, rd) {
			byPos = true
			continue
		}
		if fatal {
			if errors.Is(cerr, ErrAccess) && canLogin(ctx, &t.cfg) {
				cerr = privilegesError(&t.cfg, mysqlCode(err), err.Error())
			}
			return cerr
		}
		if err.Error() == lastErr && t.last == progressBefore {
			repeats++
		} else {
			repeats, lastErr = 0, err.Error()
		}
		if repeats >= 20 {
			return fmt.Errorf("binlog stream keeps failing at %s:%d without progress: %w", t.last.File, t.last.Pos, err)
		}
		if err := t.flush(ctx); err != nil { // seal what was read; re-reading duplicates it with equal versions
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		t.metrics.Reconnects.Inc()
		if t.last != progressBefore {
			backoff.Reset()
		}
		delay := backoff.Next()
		t.log.Warn("binlog stream failed; reconnecting from the last transaction boundary",
			"file", t.last.File, "pos", t.last.Pos, "retry_in", delay, "error", err)
		if retry.Sleep(ctx, delay) != nil {
			return nil
		}
	}
}

func (t *Tailer) syncerConfig() (replication.BinlogSyncerConfig, error) {
	host, portS, err := net.SplitHostPort(t.cfg.SourceAddr)
	if err != nil {
		return replication.BinlogSyncerConfig{}, fmt.Errorf("%w: source-addr %q: %v", ErrConfig, t.cfg.SourceAddr, err)
	}
	port, err := strconv.ParseUint(portS, 10, 16)
	if err != nil {
		return replication.BinlogSyncerConfig{}, fmt.Errorf("%w: source-addr port %q", ErrConfig, portS)
	}
	return replication.BinlogSyncerConfig{
		ServerID: t.cfg.ServerID, Flavor: t.cfg.Flavor, Host: host, Port: uint16(port),
		User: t.cfg.User, Password: t.cfg.Password, Charset: "utf8mb4",
		ParseTime: false, UseDecimal: false, TimestampStringLocation: time.UTC,
		HeartbeatPeriod: t.cfg.Heartbeat, ReadTimeout: t.cfg.ReadTimeout,
		DisableRetrySync: true, // reconnects restart from a transaction boundary (Stream)
		Logger:           t.log.With("component", "go-mysql"),
		// Decoded events buffered ahead of the tailer. Each holds its rows as []any values, so
		// 1,024 (plus 512 in pump) kept 40-70 MB live while the publisher was the bottleneck:
		// over the 64 MiB memory limit, the GC then ran without pause (26-row messages: 35
		// CPU-µs per row and 137 MB RSS; with 128 + 64, 13 µs and 65 MB).
		EventCacheCount: 128,
		// DATETIME2/TIMESTAMP2 values arrive raw and column.format formats them (temporal.go);
		// the tailer's own stream reads row images itself (streamOnce, rowimage.go).
		RowsEventDecodeFunc: (&rawDecoder{}).decode,
	}, nil
}

// connRead is what one binlog connection read: the file it was in, the end of the last event
// received, and whether any rows event arrived.
type connRead struct {
	file    string
	end     uint64
	rotated bool // a rotate to another file than the start file arrived
	rows    bool
}

// observe records event e.
func (r *connRead) observe(e *replication.BinlogEvent) {
	switch ev := e.Event.(type) {
	case *replication.RotateEvent:
		if string(ev.NextLogName) != r.file {
			r.rotated = true
		}
		return
	case *replication.RowsEvent:
		r.rows = true
	}
	if e.Header.LogPos > 0 { // artificial events (format description on connect) carry 0
		r.end = uint64(e.Header.LogPos)
	}
}

// skipCrashTail handles the fatal error err of a connection that started at the boundary from
// and read rd without reaching another boundary: if it is the half-written tail of a crashed
// source's binlog file (crashTail), it moves t.last to the start of the next file, counts and
// logs it and returns true. The connection must have read no rows event: rows of the unfinished
// (rolled back) transaction could have been published by a timed flush, so then it still stops.
func (t *Tailer) skipCrashTail(ctx context.Context, err error, from checkpoint.State, rd connRead) bool {
	if rd.rotated || rd.rows || from.File == "" {
		return false
	}
	end := rd.end
	if file, pos, ok := failedAt(err); ok { // the source names the half-written event's start
		if file != from.File {
			return false
		}
		end = pos
	}
	next, ok, cerr := crashTail(ctx, &t.cfg, err, from.File, end)
	if cerr != nil {
		t.log.Error("cannot check whether the binlog ends in a crash's half-written event", "file", from.File, "pos", rd.end, "error", cerr)
	}
	if !ok {
		return false
	}
	t.metrics.CrashTailSkips.Inc()
	t.log.Warn("source binlog file ends in a half-written event (source crash); its unfinished transaction was rolled back by the source's crash recovery: continuing at the next file",
		"file", from.File, "valid_end", end, "checkpoint_pos", from.Pos, "next_file", next, "source_error", err)
	t.last = checkpoint.State{File: next, Pos: 4, GTID: from.GTID, Epoch: from.Epoch, ServerID: from.ServerID, UpdatedAt: time.Now()}
	t.registered = false
	return true
}

// streamOnce runs one binlog connection from a boundary, by GTID (if configured and byPos is
// false) or by file/position; rd records what it read.
func (t *Tailer) streamOnce(ctx context.Context, from checkpoint.State, byPos bool, rd *connRead) error {
	if err := checkResumable(&t.cfg, from); err != nil {
		return err
	}
	t.setFloor(from)
	sc, err := t.syncerConfig()
	if err != nil {
		return err
	}
	t.rows = &rawDecoder{}
	sc.RowsEventDecodeFunc = t.rows.deferRows // onRows reads or decodes the row images
	syncer := replication.NewBinlogSyncer(sc)
	defer syncer.Close()
	var streamer *replication.BinlogStreamer
	if t.cfg.UseGTID && from.GTID != "" && !byPos {
		gs, perr := mysql.ParseGTIDSet(t.cfg.Flavor, from.GTID)
		if perr != nil {
			return fmt.Errorf("%w: GTID set %q: %v", ErrConfig, from.GTID, perr)
		}
		streamer, err = syncer.StartSyncGTID(gs)
	} else {
		if from.File == "" {
			return fmt.Errorf("%w: no binlog file to start from (file/position mode needs a checkpoint file)", ErrConfig)
		}
		streamer, err = syncer.StartSync(mysql.Position{Name: from.File, Pos: uint32(from.Pos)})
	}
	if err != nil {
		return fmt.Errorf("start binlog sync: %w", err)
	}
	// Reset per-connection state: a reconnect starts at a boundary, outside any transaction.
	t.inTx, t.gtid = false, ""
	if from.GTID != "" {
		if gs, perr := mysql.ParseGTIDSet(t.cfg.Flavor, from.GTID); perr == nil {
			t.gset = gs
		}
	}
	return t.pump(ctx, streamer, rd)
}

// pump moves events from the streamer to handle, and flushes open batches on a timer.
func (t *Tailer) pump(ctx context.Context, s *replication.BinlogStreamer, rd *connRead) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := make(chan *replication.BinlogEvent, 64)
	errc := make(chan error, 1)
	go func() {
		for {
			e, err := s.GetEvent(sctx)
			if err != nil {
				errc <- err
				return
			}
			select {
			case events <- e:
			case <-sctx.Done():
				errc <- sctx.Err()
				return
			}
		}
	}()
	tick := time.NewTicker(t.cfg.FlushInterval)
	defer tick.Stop()
	for {
		select {
		case e := <-events:
			rd.observe(e)
			if err := t.handle(ctx, e); err != nil {
				return err
			}
		case err := <-errc:
			for len(events) > 0 { // events read before the error come first
				e := <-events
				rd.observe(e)
				if herr := t.handle(ctx, e); herr != nil {
					return herr
				}
			}
			return err
		case <-tick.C:
			if t.batch.Rows() > 0 || !t.registered {
				if err := t.flush(ctx); err != nil {
					return err
				}
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
