package canal

import (
	"context"
	"errors"

	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/ferry-cdc/ferry/internal/retry"
	"github.com/ferry-cdc/ferry/pkg/checkpoint"
	"github.com/ferry-cdc/ferry/pkg/event"
)

// Stream reads the binlog from t.last until ctx ends or a fatal error, reconnecting with backoff
// from the latest boundary after transient errors (rows after it are re-read with the same
// versions, so the only effect is duplicates). It never advances anything past unacknowledged
// messages: checkpoints are written by the caller from the ack tracker.
func (t *Tailer) Stream(ctx context.Context) error {
	t.batch.ctx = ctx
	backoff := retry.Backoff{First: 500 * time.Millisecond, Max: 30 * time.Second}
	var lastErr string
	repeats := 0
	for {
		from := t.last
		progressBefore := t.last
		err := t.streamOnce(ctx, from)
		if ctx.Err() != nil {
			return nil
		}
		fatal, cerr := classify(err, &t.cfg, fmt.Sprintf("start %s:%d gtid %q", from.File, from.Pos, from.GTID))
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
		if err := t.flush(); err != nil { // seal what was read; re-reading duplicates it with equal versions
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
		EventCacheCount:  1024,
	}, nil
}

// streamOnce runs one binlog connection from a boundary.
func (t *Tailer) streamOnce(ctx context.Context, from checkpoint.State) error {
	if err := checkResumable(&t.cfg, from); err != nil {
		return err
	}
	t.setFloor(from)
	sc, err := t.syncerConfig()
	if err != nil {
		return err
	}
	syncer := replication.NewBinlogSyncer(sc)
	defer syncer.Close()
	var streamer *replication.BinlogStreamer
	if t.cfg.UseGTID && from.GTID != "" {
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
	return t.pump(ctx, streamer)
}

// pump moves events from the streamer to handle, and flushes open batches on a timer.
func (t *Tailer) pump(ctx context.Context, s *replication.BinlogStreamer) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := make(chan *replication.BinlogEvent, 512)
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
			if err := t.handle(e); err != nil {
				return err
			}
		case err := <-errc:
			for len(events) > 0 { // events read before the error come first
				if herr := t.handle(<-events); herr != nil {
					return herr
				}
			}
			return err
		case <-tick.C:
			if t.batch.rows > 0 || !t.registered {
				if err := t.flush(); err != nil {
					return err
				}
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Checkpointer writes the ack tracker's safe boundaries to the data directory.
type Checkpointer struct {
	dir     string
	acks    *ackTracker
	metrics *Metrics
	log     *slog.Logger
	every   time.Duration
	last    checkpoint.State
}

// NewCheckpointer writes p's safe boundaries to dir at most every `every`.
// The checkpoint gauges start at start (the checkpoint the tailer resumed from, already durable).
func NewCheckpointer(dir string, p *Publisher, m *Metrics, log *slog.Logger, every time.Duration, start checkpoint.State) *Checkpointer {
	c := &Checkpointer{dir: dir, acks: p.acks, metrics: m, log: log, every: every, last: start}
	c.observe(start)
	return c
}

func (c *Checkpointer) observe(s checkpoint.State) {
	c.metrics.CheckpointPos.Set(float64(s.Pos))
	if idx, err := event.FileIndex(s.File); err == nil {
		c.metrics.CheckpointFile.Set(float64(idx))
	}
	if !s.UpdatedAt.IsZero() {
		c.metrics.CheckpointTime.Set(float64(s.UpdatedAt.Unix()))
	}
}

// Run writes checkpoints until ctx ends; it returns the last error of a failed write (the tailer
// keeps running: the next write retries, and an older checkpoint only costs duplicates).
func (c *Checkpointer) Run(ctx context.Context) {
	tick := time.NewTicker(c.every)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			c.WriteSafe()
		case <-ctx.Done():
			return
		}
	}
}

// WriteSafe writes the newest safe boundary, if there is a new one.
func (c *Checkpointer) WriteSafe() {
	s := c.acks.takeSafe()
	if s == nil {
		return
	}
	if err := checkpoint.Save(c.dir, *s); err != nil {
		c.log.Error("write checkpoint failed; will retry", "error", err)
		c.acks.mu.Lock()
		if c.acks.safe == nil {
			c.acks.safe = s
		}
		c.acks.mu.Unlock()
		return
	}
	c.last = *s
	c.observe(*s)
}

// Last returns the last checkpoint written.
func (c *Checkpointer) Last() checkpoint.State { return c.last }
