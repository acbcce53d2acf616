// Package canal is Ferry's binlog tailer: it reads the source's row binlog with go-mysql's
// replication.BinlogSyncer, decodes every row with the metadata carried in its own TableMapEvent
// (binlog_row_metadata=FULL, so a row is always decoded with its event-time schema), turns rows and
// DDL into change events (pkg/event), publishes them to RocketMQ on a per-row queue in binlog order,
// and advances a durable checkpoint only at transaction boundaries whose messages all got SEND_OK.
package canal

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ferry-cdc/ferry/pkg/event"
)

// No-primary-key policies (Config.NoPKPolicy).
const (
	NoPKHalt       = "halt"        // stop with an error naming the table and the fix (default)
	NoPKAllColumns = "all-columns" // key = all column values; every UPDATE becomes DELETE + INSERT; identical rows are one row in the copies
)

// Config configures a Tailer. yaml tags equal the command-line flag names.
type Config struct {
	SourceAddr     string        `yaml:"source-addr"`      // host:port of the source MySQL/MariaDB
	User           string        `yaml:"user"`             // replication user
	Password       string        `yaml:"password"`         // replication password (never logged)
	Flavor         string        `yaml:"flavor"`           // "mariadb" or "mysql"
	ServerID       uint32        `yaml:"server-id"`        // replica server id, unique among the source's replicas
	UseGTID        bool          `yaml:"gtid"`             // resume by GTID set instead of file/position
	StartFile      string        `yaml:"start-file"`       // first start without checkpoint: binlog file ("" = source head)
	StartPos       uint64        `yaml:"start-pos"`        // first start without checkpoint: position
	StartGTID      string        `yaml:"start-gtid"`       // first start without checkpoint: GTID set
	Epoch          uint8         `yaml:"epoch"`            // version epoch for a first start (a checkpoint's epoch wins)
	Include        []string      `yaml:"include"`          // db.table globs to publish ("" = all)
	Exclude        []string      `yaml:"exclude"`          // db.table globs to skip (wins over include)
	ExcludeColumns []string      `yaml:"exclude-columns"`  // db.table.column globs to drop from events (not PK columns)
	NoPKPolicy     string        `yaml:"no-pk-policy"`     // NoPKHalt or NoPKAllColumns
	Heartbeat      time.Duration `yaml:"heartbeat"`        // source heartbeat period (idle progress)
	ReadTimeout    time.Duration `yaml:"read-timeout"`     // binlog read timeout (> heartbeat)
	NameServer     string        `yaml:"name-server"`      // RocketMQ name server host:port (';'-separated)
	Topic          string        `yaml:"topic"`            // change-event topic
	ProducerGroup  string        `yaml:"producer-group"`   // RocketMQ producer group
	MaxBatchRows   int           `yaml:"max-batch-rows"`   // rows per message at most
	MaxBatchBytes  int           `yaml:"max-batch-bytes"`  // approximate message body size at most
	FlushInterval  time.Duration `yaml:"flush-interval"`   // longest time a row waits in an open batch
	SendTimeout    time.Duration `yaml:"send-timeout"`     // one send attempt's timeout
	MaxRetryDelay  time.Duration `yaml:"max-retry-delay"`  // cap of the send retry backoff
	QueueBuffer    int           `yaml:"queue-buffer"`     // seal steps (messages sealed together) buffered per queue
	DataDir        string        `yaml:"data-dir"`         // checkpoint + lock directory
	CheckpointWait time.Duration `yaml:"checkpoint-every"` // how often the checkpoint file is written at most
	// MinBinlogRetention is the shortest source binlog retention accepted without a warning at
	// start (CheckSource); 0 = not checked.
	MinBinlogRetention time.Duration `yaml:"min-binlog-retention"`
}

// DefaultConfig returns the defaults: MariaDB flavor on 127.0.0.1:3307 as ferry_repl, server id
// 1001, file/position mode from the source head, all tables, halt on tables without a primary
// key, 5 s heartbeats, topic ferry_changes, batches of at most 1000 rows / 1 MiB flushed within
// 50 ms, 4 seal steps (the messages of a queue sealed together) buffered per queue (bounds memory), checkpoint written at most every
// 200 ms into ./ferry-tailer.
func DefaultConfig() Config {
	return Config{
		SourceAddr: "127.0.0.1:3307", User: "ferry_repl", Flavor: "mariadb", ServerID: 1001,
		NoPKPolicy: NoPKHalt, Heartbeat: 5 * time.Second, ReadTimeout: 30 * time.Second,
		NameServer: "127.0.0.1:9876", Topic: event.DefaultTopic, ProducerGroup: "ferry_tailer",
		MaxBatchRows: 1000, MaxBatchBytes: 1 << 20, FlushInterval: 50 * time.Millisecond,
		SendTimeout: 5 * time.Second, MaxRetryDelay: 10 * time.Second, QueueBuffer: 4,
		DataDir: "ferry-tailer", CheckpointWait: 200 * time.Millisecond,
		MinBinlogRetention: 72 * time.Hour, // a long weekend of tailer outage
	}
}

// ErrConfig is wrapped by every Validate error.
var ErrConfig = errors.New("invalid tailer config")

// Validate checks the config and names the key to fix.
func (c *Config) Validate() error {
	var errs []string
	check := func(bad bool, format string, args ...any) {
		if bad {
			errs = append(errs, fmt.Sprintf(format, args...))
		}
	}
	check(c.SourceAddr == "" || !strings.Contains(c.SourceAddr, ":"), "source-addr must be host:port")
	check(c.User == "", "user is required")
	check(c.Flavor != "mariadb" && c.Flavor != "mysql", "flavor must be mariadb or mysql, not %q", c.Flavor)
	check(c.ServerID == 0, "server-id must be > 0 and unique among the source's replicas")
	check(c.NoPKPolicy != NoPKHalt && c.NoPKPolicy != NoPKAllColumns, "no-pk-policy must be %s or %s", NoPKHalt, NoPKAllColumns)
	check(c.Heartbeat <= 0 || c.ReadTimeout <= c.Heartbeat, "heartbeat must be > 0 and read-timeout > heartbeat")
	check(c.NameServer == "" || c.Topic == "", "name-server and topic are required")
	check(c.MaxBatchRows < 1 || c.MaxBatchBytes < 1024, "max-batch-rows must be >= 1 and max-batch-bytes >= 1024")
	check(c.MaxBatchBytes > 4<<20-64<<10, "max-batch-bytes must stay below RocketMQ's 4 MiB message limit")
	check(c.FlushInterval <= 0 || c.SendTimeout <= 0 || c.MaxRetryDelay <= 0, "flush-interval, send-timeout and max-retry-delay must be > 0")
	check(c.QueueBuffer < 1, "queue-buffer must be >= 1")
	check(c.MinBinlogRetention < 0, "min-binlog-retention must be >= 0 (0 = not checked)")
	check(c.DataDir == "", "data-dir is required (checkpoint and lock file)")
	check(c.StartFile == "" && c.StartPos != 0, "start-pos needs start-file")
	for _, p := range append(append([]string{}, c.Include...), c.Exclude...) {
		check(!validPattern(p, 2), "table pattern %q must be db.table (globs allowed)", p)
	}
	for _, p := range c.ExcludeColumns {
		check(!validPattern(p, 3), "column pattern %q must be db.table.column (globs allowed)", p)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s", ErrConfig, strings.Join(errs, "; "))
	}
	return nil
}

// Redacted returns a copy safe to log.
func (c Config) Redacted() Config {
	if c.Password != "" {
		c.Password = "***"
	}
	return c
}
