package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/ferry-cdc/ferry/internal/cli"
)

// ddlSkipConfig is the configuration of `replayer ddl skip`.
type ddlSkipConfig struct {
	sinkConfig     `yaml:",inline"`
	Version        uint64 `yaml:"version" help:"version of the halted DDL statement"`
	SourceDatabase string `yaml:"source-database" help:"source database of the statement"`
	Note           string `yaml:"note" help:"why it was skipped (stored with the version)"`
}

func newDDLCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "ddl", Short: "Operator actions on DDL statements the replayer halted on"}
	cfg := ddlSkipConfig{sinkConfig: defaultSinkConfig(), SourceDatabase: "shop", Note: "skipped by operator"}
	skip := app.Command(cli.Spec{
		Use:   "skip",
		Short: "Mark the DDL with --version as handled so the replayer continues past it",
		Long: "Records the version in the copy's _ferry_ddl_applied table without running anything.\n" +
			"Apply the equivalent change to the copy by hand first if the copy needs it, then restart\n" +
			"`replayer run`.",
		Config: &cfg,
		Run: func(ctx context.Context, cmd *cobra.Command, _ []string, log *slog.Logger) error {
			if cfg.Version == 0 {
				return fmt.Errorf("--version is required (it is printed in the halt message)")
			}
			s, err := cfg.openSink(ctx, log)
			if err != nil {
				return err
			}
			defer s.Close()
			if err := s.SkipDDL(ctx, cfg.SourceDatabase, cfg.Version, cfg.Note); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ddl version %d marked as skipped in the %s copy\n", cfg.Version, cfg.Sink)
			return nil
		},
	})
	cmd.AddCommand(skip)
	return cmd
}
