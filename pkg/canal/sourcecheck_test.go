package canal

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/testenv"
)

func goodSettings() SourceSettings {
	return SourceSettings{"log_bin": "ON", "binlog_format": "ROW", "binlog_row_image": "FULL", "binlog_row_metadata": "FULL",
		"sync_binlog": "1", "innodb_flush_log_at_trx_commit": "1", "expire_logs_days": "7.000000", "binlog_expire_logs_seconds": "0"}
}

// TestEvaluateSourceSettings: each setting that makes a copy impossible is fatal naming the
// variable and the fix; weaker durability and a short retention are warnings; good settings and
// a server without binlog_row_metadata (before MariaDB 10.5) pass.
func TestEvaluateSourceSettings(t *testing.T) {
	cases := []struct {
		name          string
		change        map[string]string
		drop          string
		fatal, warned string // substrings of the only fatal / warning ("" = none)
	}{
		{name: "good"},
		{name: "no row metadata variable", drop: "binlog_row_metadata"},
		{name: "log_bin off", change: map[string]string{"log_bin": "OFF"}, fatal: "log_bin=OFF"},
		{name: "statement format", change: map[string]string{"binlog_format": "STATEMENT"}, fatal: "binlog_format=STATEMENT"},
		{name: "mixed format", change: map[string]string{"binlog_format": "MIXED"}, fatal: "binlog_format=ROW"},
		{name: "minimal image", change: map[string]string{"binlog_row_image": "MINIMAL"}, fatal: "binlog_row_image=FULL"},
		{name: "minimal metadata", change: map[string]string{"binlog_row_metadata": "MINIMAL"}, fatal: "binlog_row_metadata=FULL"},
		{name: "sync_binlog 0", change: map[string]string{"sync_binlog": "0"}, warned: "set sync_binlog=1"},
		{name: "innodb flush 2", change: map[string]string{"innodb_flush_log_at_trx_commit": "2"}, warned: "innodb_flush_log_at_trx_commit=2"},
		{name: "retention 1 day", change: map[string]string{"expire_logs_days": "1"}, warned: "retention 24h0m0s"},
		{name: "retention seconds win", change: map[string]string{"binlog_expire_logs_seconds": "3600"}, warned: "retention 1h0m0s"},
		{name: "never purged", change: map[string]string{"expire_logs_days": "0"}},
		{name: "compressed transactions", change: map[string]string{"binlog_transaction_compression": "ON"},
			fatal: "binlog_transaction_compression=OFF"},
		{name: "uncompressed transactions", change: map[string]string{"binlog_transaction_compression": "OFF"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := goodSettings()
			for k, v := range c.change {
				s[k] = v
			}
			delete(s, c.drop)
			fatal, warnings := s.Evaluate(72 * time.Hour)
			check := func(kind string, got []string, want string) {
				if want == "" && len(got) != 0 || want != "" && (len(got) != 1 || !strings.Contains(got[0], want)) {
					t.Errorf("%s = %q, want one containing %q", kind, got, want)
				}
			}
			check("fatal", fatal, c.fatal)
			check("warnings", warnings, c.warned)
		})
	}
}

// TestCheckSourceOnStack runs the start check against the stack's source, which runs with
// sync_binlog=0 and innodb_flush_log_at_trx_commit=2 (scripts/stack, docs/production.md):
// the tailer may start, and both are logged once as weak source settings.
func TestCheckSourceOnStack(t *testing.T) {
	st := testenv.Get(t)
	db := st.OpenSource(t, "")
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	if err := CheckSource(context.Background(), db, 72*time.Hour, log); err != nil {
		t.Fatalf("CheckSource on the stack's source: %v", err)
	}
	out := buf.String()
	if strings.Count(out, "weak source setting") != 2 || !strings.Contains(out, "sync_binlog=0") || !strings.Contains(out, "innodb_flush_log_at_trx_commit=2") {
		t.Fatalf("log = %s; want the two weak settings of the stack", out)
	}
}
