package canal

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/ferry-cdc/ferry/pkg/checkpoint"
)

// CanalStart resolves a Canal position to the checkpoint at which Ferry continues exactly where
// Canal's consumer stopped: no acknowledged change again, no change skipped. It reads the event
// Canal recorded from the source and checks that it is the one Canal saw (same time and server
// id). Canal resumes by dumping from the start of that event, so:
//
//   - an XID event or COMMIT (a transaction end Canal acknowledged) and a DDL statement (acknowledged
//     as a whole) resume after the event: Canal would read them again without delivering anything
//     new (XID) or would run the DDL a second time;
//   - a BEGIN (Canal outside GTID mode acknowledges a batch that ended inside a transaction at its
//     BEGIN) resumes at the event: that transaction was not acknowledged.
//
// In GTID mode (cfg.UseGTID) the checkpoint also carries the cursor's GTID set, which Canal
// records including the acknowledged transaction.
func CanalStart(ctx context.Context, cfg *Config, p CanalPosition) (checkpoint.State, error) {
	where := fmt.Sprintf("Canal position %s:%d", p.JournalName, *p.Position)
	if *p.Position > 1<<32-1 {
		return checkpoint.State{}, fmt.Errorf("%w: %s: positions past 4 GiB cannot be dumped from", ErrCanalPosition, where)
	}
	e, err := readEventAt(ctx, cfg, p.JournalName, uint32(*p.Position))
	if err != nil {
		return checkpoint.State{}, fmt.Errorf("%s: %w", where, err)
	}
	h := e.Header
	if p.Timestamp > 0 && int64(h.Timestamp)*1000 != p.Timestamp {
		return checkpoint.State{}, fmt.Errorf("%w: %s: the source's event there is from %s, Canal's from %s: the cursor belongs to another server's binlog (or the binlog was reset); start from a position of this source",
			ErrCanalPosition, where, time.Unix(int64(h.Timestamp), 0).UTC().Format(time.RFC3339), time.UnixMilli(p.Timestamp).UTC().Format(time.RFC3339))
	}
	if p.ServerID != nil && *p.ServerID != h.ServerID {
		return checkpoint.State{}, fmt.Errorf("%w: %s: the event there was written by server %d, Canal's by server %d: the cursor belongs to another server's binlog",
			ErrCanalPosition, where, h.ServerID, *p.ServerID)
	}
	after, err := resumesAfter(e)
	if err != nil {
		return checkpoint.State{}, fmt.Errorf("%w: %s: %v", ErrCanalPosition, where, err)
	}
	st := checkpoint.State{File: p.JournalName, Pos: *p.Position, ServerID: h.ServerID, UpdatedAt: time.Now()}
	if after {
		st.Pos = uint64(h.LogPos)
	}
	if cfg.UseGTID && p.GTID != "" {
		if _, err := mysql.ParseGTIDSet(cfg.Flavor, p.GTID); err != nil {
			return checkpoint.State{}, fmt.Errorf("%w: %s: GTID set %q (%s flavor): %v", ErrCanalPosition, where, p.GTID, cfg.Flavor, err)
		}
		st.GTID = p.GTID
	}
	return st, nil
}

// resumesAfter tells whether streaming resumes after event e (a transaction end or DDL) or at it
// (a BEGIN); any other event is not a point Canal acknowledges.
func resumesAfter(e *replication.BinlogEvent) (bool, error) {
	switch ev := e.Event.(type) {
	case *replication.XIDEvent:
		return true, nil
	case *replication.QueryEvent:
		q := string(ev.Query)
		isCommit, isControl := isTxControl(q)
		switch {
		case isCommit || !isControl:
			return true, nil // COMMIT / ROLLBACK, or a DDL statement
		case strings.EqualFold(strings.TrimSpace(leadingComment.ReplaceAllString(q, "")), "BEGIN"):
			return false, nil
		}
		return false, fmt.Errorf("the event there is %q, not a transaction boundary or DDL", truncate(q, 60))
	}
	return false, fmt.Errorf("the event there is a %s, not a transaction boundary or DDL (was the file edited?)", e.Header.EventType)
}

// readEventAt returns the event that starts at pos in file, read with a short-lived binlog dump.
func readEventAt(ctx context.Context, cfg *Config, file string, pos uint32) (*replication.BinlogEvent, error) {
	t := &Tailer{cfg: *cfg, log: slog.New(slog.DiscardHandler)}
	sc, err := t.syncerConfig()
	if err != nil {
		return nil, err
	}
	sc.ServerID = cfg.ServerID + 1 // a short-lived reader must not kick out a running tailer
	syncer := replication.NewBinlogSyncer(sc)
	defer syncer.Close()
	s, err := syncer.StartSync(mysql.Position{Name: file, Pos: pos})
	if err != nil {
		_, cerr := classify(err, cfg, fmt.Sprintf("%s:%d", file, pos))
		return nil, cerr
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		e, err := s.GetEvent(rctx)
		if err != nil {
			_, cerr := classify(err, cfg, fmt.Sprintf("%s:%d", file, pos))
			return nil, fmt.Errorf("read the event: %w", cerr)
		}
		h := e.Header
		switch h.EventType {
		case replication.ROTATE_EVENT, replication.FORMAT_DESCRIPTION_EVENT, replication.HEARTBEAT_EVENT:
			continue // the dump's preamble (rotate, the file's format description), heartbeats
		}
		if start := h.LogPos - h.EventSize; start != pos {
			return nil, fmt.Errorf("no event starts at %d (the first one read starts at %d)", pos, start)
		}
		return e, nil
	}
}
