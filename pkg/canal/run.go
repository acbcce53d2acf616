package canal

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ferry-cdc/ferry/internal/retry"
	"github.com/ferry-cdc/ferry/pkg/checkpoint"
	"github.com/ferry-cdc/ferry/pkg/mq"
	"github.com/ferry-cdc/ferry/pkg/publish"
)

// DrainTimeout bounds how long a graceful stop waits for unacknowledged messages.
var DrainTimeout = 15 * time.Second

// ResolveStart returns the checkpoint in cfg.DataDir, or for a first start the configured start
// point (start-gtid, start-file/pos) or the source's current head, and saves it at once so that a
// restart before the first transaction resumes from the same place.
func ResolveStart(ctx context.Context, cfg *Config) (checkpoint.State, error) {
	st, err := checkpoint.Load(cfg.DataDir)
	if err != nil || st != nil {
		if st == nil {
			return checkpoint.State{}, err
		}
		return *st, err
	}
	s := checkpoint.State{File: cfg.StartFile, Pos: cfg.StartPos, GTID: cfg.StartGTID, Epoch: cfg.Epoch, UpdatedAt: time.Now()}
	if s.File == "" {
		h, err := SourceHead(ctx, cfg)
		if err != nil {
			return s, err
		}
		s.File, s.Pos = h.File, h.Pos
		if s.GTID == "" {
			s.GTID = h.GTID
		}
	}
	if s.Pos < 4 {
		s.Pos = 4
	}
	if err := checkpoint.Save(cfg.DataDir, s); err != nil {
		return s, err
	}
	return s, nil
}

// Run is the whole tailer: lock the data dir, resolve the start, connect the producer, stream until
// ctx ends or a fatal error, then drain sends and write the final checkpoint. ready (optional) is
// called once streaming starts.
func Run(ctx context.Context, cfg Config, log *slog.Logger, reg prometheus.Registerer, ready func()) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	lock, err := checkpoint.Acquire(cfg.DataDir)
	if err != nil {
		return err
	}
	defer lock.Release()
	mq.SetLogger(log)
	if err := checkSourceSettings(ctx, &cfg, log); err != nil {
		return err
	}
	start, err := ResolveStart(ctx, &cfg)
	if err != nil {
		return fmt.Errorf("resolve start position: %w", err)
	}
	queues, err := waitQueueCount(ctx, &cfg, log)
	if err != nil {
		return err
	}
	prod, err := publish.NewProducer(cfg.NameServer, cfg.ProducerGroup, cfg.SendTimeout)
	if err != nil {
		return err
	}
	defer prod.Shutdown()
	m := NewMetrics(reg)
	pub, err := publish.New(cfg.PublishConfig(queues), prod, log, m.Metrics)
	if err != nil {
		return err
	}
	t, err := NewTailer(cfg, log, m, pub, start)
	if err != nil {
		pub.Close()
		return err
	}
	log.Info("binlog tailer starting", "file", start.File, "pos", start.Pos, "gtid", start.GTID,
		"epoch", start.Epoch, "gtid_mode", cfg.UseGTID, "topic", cfg.Topic, "queues", queues)
	return t.runWithCheckpoints(ctx, cfg.DataDir, start, ready)
}

// runWithCheckpoints streams until ctx ends or a fatal error while a Checkpointer writes the safe
// boundaries, then drains the publisher and writes the final checkpoint.
func (t *Tailer) runWithCheckpoints(ctx context.Context, dir string, start checkpoint.State, ready func()) error {
	cp := publish.NewCheckpointer(dir, t.pub, t.log, t.cfg.CheckpointWait, start)
	cctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { cp.Run(cctx); close(done) }()
	if ready != nil {
		ready()
	}
	err := t.Stream(ctx)
	// Graceful stop: seal open batches, wait for SEND_OK, write the final checkpoint. Everything
	// here is bounded by DrainTimeout, so a stop while the broker is down still exits.
	dctx, dcancel := context.WithTimeout(context.Background(), DrainTimeout)
	if ferr := t.flush(dctx); ferr != nil {
		t.log.Warn("could not seal the last rows before stopping; they will be re-read after restart", "error", ferr)
	}
	if derr := t.pub.Drain(dctx); derr != nil {
		t.log.Warn("stopping with unacknowledged messages; they will be re-read after restart", "error", derr)
	}
	dcancel()
	cancel()
	<-done
	cp.WriteSafe()
	t.pub.Close()
	last := cp.Last()
	t.log.Info("binlog tailer stopped", "checkpoint_file", last.File, "checkpoint_pos", last.Pos, "error", err)
	return err
}

// PublishConfig returns the publisher's part of the config for a topic of queues queues.
func (c *Config) PublishConfig(queues int) publish.Config {
	return publish.Config{Topic: c.Topic, Queues: queues, MaxBatchRows: c.MaxBatchRows, MaxBatchBytes: c.MaxBatchBytes,
		SendTimeout: c.SendTimeout, MaxRetryDelay: c.MaxRetryDelay, QueueBuffer: c.QueueBuffer}
}

// waitQueueCount asks the name server for the topic's queue count, retrying while it is unreachable.
func waitQueueCount(ctx context.Context, cfg *Config, log *slog.Logger) (int, error) {
	b := retry.Backoff{First: 500 * time.Millisecond, Max: 10 * time.Second}
	for {
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		n, err := mq.QueueCount(qctx, cfg.NameServer, cfg.Topic)
		cancel()
		if err == nil && n > 0 {
			return n, nil
		}
		if err == nil {
			err = fmt.Errorf("topic %q has no queues: create it (mqadmin updateTopic -t %s -w 8 -r 8)", cfg.Topic, cfg.Topic)
		}
		log.Warn("cannot read the topic's queue count; retrying", "topic", cfg.Topic, "name_server", cfg.NameServer, "error", err)
		if b.Wait(ctx) != nil {
			return 0, fmt.Errorf("read queue count of %q: %w", cfg.Topic, err)
		}
	}
}
