package main

import (
	"testing"
	"time"
)

func TestDatabaseName(t *testing.T) {
	tests := []struct{ dsn, want string }{
		{defaultDSN, "shop"},
		{"u:p@tcp(h:1)/db1", "db1"},
		{"u:p@tcp(h:1)/", ""},
		{"garbage", ""},
	}
	for _, tc := range tests {
		t.Run(tc.dsn, func(t *testing.T) {
			c := common{DSN: tc.dsn}
			if got := c.databaseName(); got != tc.want {
				t.Fatalf("databaseName() = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestLoadSettingsPrecedence checks that the load subcommand's flags, environment and defaults
// reach the generator config (env prefix FERRY_ORDERFLOW_): flag > env > default.
func TestLoadSettingsPrecedence(t *testing.T) {
	t.Setenv("FERRY_ORDERFLOW_RATE", "321")
	t.Setenv("FERRY_ORDERFLOW_SHAPE", "evening")
	t.Setenv("FERRY_ORDERFLOW_WORKERS", "7")
	cmd, cfg := loadCommand()
	if err := cmd.ParseFlags([]string{"--workers", "9", "--duration", "3s"}); err != nil {
		t.Fatal(err)
	}
	if err := cmd.PreRunE(cmd, nil); err != nil {
		t.Fatal(err)
	}
	if cfg.Rate != 321 || cfg.Shape != "evening" || cfg.Workers != 9 || cfg.Duration != 3*time.Second || cfg.Peak != 2000 {
		t.Fatalf("rate %v shape %s workers %d duration %v peak %v: want env 321/evening, flag 9/3s, default peak 2000",
			cfg.Rate, cfg.Shape, cfg.Workers, cfg.Duration, cfg.Peak)
	}
}
