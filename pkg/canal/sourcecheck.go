package canal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-cdc/ferry/pkg/source"
)

// ErrSourceSettings is returned (wrapped) at start when a source setting makes an exact copy
// impossible (docs/production.md): binary logging off, a binlog format other than ROW, row images
// other than FULL, or binlog_row_metadata other than FULL where the server has it.
var ErrSourceSettings = errors.New("source settings make an exact copy impossible")

// SourceSettings are the source server variables the tailer depends on, as SHOW GLOBAL
// VARIABLES reports them (names in lower case; a variable the server lacks is absent).
type SourceSettings map[string]string

// sourceVariables are the variables CheckSource reads.
var sourceVariables = []string{"log_bin", "binlog_format", "binlog_row_image", "binlog_row_metadata",
	"sync_binlog", "innodb_flush_log_at_trx_commit", "expire_logs_days", "binlog_expire_logs_seconds",
	"binlog_transaction_compression"}

// ReadSourceSettings reads the variables CheckSource evaluates.
func ReadSourceSettings(ctx context.Context, db *sql.DB) (SourceSettings, error) {
	vars, err := source.ReadVariables(ctx, db, sourceVariables)
	if err != nil {
		return nil, fmt.Errorf("read source settings: %w", err)
	}
	return SourceSettings(vars), nil
}

// Retention returns how long the source keeps binlog files: binlog_expire_logs_seconds when set
// (MariaDB 10.6+, MySQL 8), else expire_logs_days; 0 means they are never purged automatically.
func (s SourceSettings) Retention() time.Duration {
	if secs, err := strconv.ParseFloat(s["binlog_expire_logs_seconds"], 64); err == nil && secs > 0 {
		return time.Duration(secs * float64(time.Second))
	}
	if days, err := strconv.ParseFloat(s["expire_logs_days"], 64); err == nil && days > 0 {
		return time.Duration(days * 24 * float64(time.Hour))
	}
	return 0
}

// Evaluate returns the settings that make a copy impossible (fatal: the tailer must not start)
// and those that weaken it (warnings: the tailer starts), each naming the variable, its value
// and the fix. minRetention is the shortest acceptable binlog retention (0: not checked).
func (s SourceSettings) Evaluate(minRetention time.Duration) (fatal, warnings []string) {
	is := func(name, want string) bool { return strings.EqualFold(s[name], want) }
	if !is("log_bin", "ON") && !is("log_bin", "1") {
		fatal = append(fatal, fmt.Sprintf("log_bin=%s: the source writes no binlog; start it with log_bin", s["log_bin"]))
	}
	if !is("binlog_format", "ROW") {
		fatal = append(fatal, fmt.Sprintf("binlog_format=%s: statements logged as text are not replayed and their rows "+
			"would be missing from the copies; SET GLOBAL binlog_format=ROW (and in the server config)", s["binlog_format"]))
	}
	if !is("binlog_row_image", "FULL") {
		fatal = append(fatal, fmt.Sprintf("binlog_row_image=%s: rows would lack the columns they did not change; "+
			"SET GLOBAL binlog_row_image=FULL (and in the server config)", s["binlog_row_image"]))
	}
	if v, ok := s["binlog_row_metadata"]; ok && !strings.EqualFold(v, "FULL") {
		fatal = append(fatal, fmt.Sprintf("binlog_row_metadata=%s: rows carry no column names; "+
			"SET GLOBAL binlog_row_metadata=FULL (and in the server config)", v))
	}
	if is("binlog_transaction_compression", "ON") {
		fatal = append(fatal, "binlog_transaction_compression=ON: the tailer does not read MySQL's compressed "+
			"transactions (TRANSACTION_PAYLOAD events); SET GLOBAL binlog_transaction_compression=OFF (and in the server config)")
	}
	if v := s["sync_binlog"]; v != "1" {
		warnings = append(warnings, fmt.Sprintf("sync_binlog=%s: a crash of the source host can lose binlog events of "+
			"committed transactions, which the copies then never receive; set sync_binlog=1", v))
	}
	if v, ok := s["innodb_flush_log_at_trx_commit"]; ok && v != "1" {
		warnings = append(warnings, fmt.Sprintf("innodb_flush_log_at_trx_commit=%s: a crash of the source host can lose "+
			"committed transactions that the copies already received; set it to 1", v))
	}
	if r := s.Retention(); minRetention > 0 && r > 0 && r < minRetention {
		warnings = append(warnings, fmt.Sprintf("binlog retention %s is shorter than min-binlog-retention %s: a tailer "+
			"outage longer than the retention needs a resync and backfill; raise binlog_expire_logs_seconds/expire_logs_days",
			r, minRetention))
	}
	return fatal, warnings
}

// CheckSource reads the source's settings once at start: settings that make a copy impossible
// stop the tailer with ErrSourceSettings naming each fix; weaker ones are logged once at WARN
// as "weak source setting" (docs/production.md).
func CheckSource(ctx context.Context, db *sql.DB, minRetention time.Duration, log *slog.Logger) error {
	s, err := ReadSourceSettings(ctx, db)
	if err != nil {
		return err
	}
	fatal, warnings := s.Evaluate(minRetention)
	for _, w := range warnings {
		log.Warn("weak source setting", "setting", w)
	}
	if len(fatal) > 0 {
		return fmt.Errorf("%w: %s", ErrSourceSettings, strings.Join(fatal, "; "))
	}
	return nil
}

// checkSourceSettings runs CheckSource on a connection of its own.
func checkSourceSettings(ctx context.Context, cfg *Config, log *slog.Logger) error {
	db, err := OpenSource(cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	return CheckSource(ctx, db, cfg.MinBinlogRetention, log)
}
