package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// ddlSkipConfig is the configuration of `replayer ddl skip`.
type ddlSkipConfig struct {
	sinkConfig     `yaml:",inline"`
	Version        uint64 `yaml:"version"`
	SourceDatabase string `yaml:"source-database"`
	Note           string `yaml:"note"`
}

func newDDLCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "ddl", Short: "Operator actions on DDL statements the replayer halted on"}
	cfg := ddlSkipConfig{sinkConfig: defaultSinkConfig(), SourceDatabase: "shop", Note: "skipped by operator"}
	var file string
	skip := &cobra.Command{
		Use:   "skip",
		Short: "Mark the DDL with --version as handled so the replayer continues past it",
		Long: "Records the version in the copy's _ferry_ddl_applied table without running anything.\n" +
			"Apply the equivalent change to the copy by hand first if the copy needs it, then restart\n" +
			"`replayer run`.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := load(cmd, file, &cfg); err != nil {
				return err
			}
			if cfg.Version == 0 {
				return fmt.Errorf("--version is required (it is printed in the halt message)")
			}
			log, err := newLogger(cfg.LogLevel)
			if err != nil {
				return err
			}
			s, err := cfg.openSink(cmd.Context(), log)
			if err != nil {
				return err
			}
			defer s.Close()
			if err := s.SkipDDL(cmd.Context(), cfg.SourceDatabase, cfg.Version, cfg.Note); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ddl version %d marked as skipped in the %s copy\n", cfg.Version, cfg.Sink)
			return nil
		},
	}
	fs := skip.Flags()
	fs.StringVar(&file, "config", "", "YAML config file (keys = flag names)")
	cfg.sinkConfig.bind(fs)
	fs.Uint64Var(&cfg.Version, "version", 0, "version of the halted DDL statement")
	fs.StringVar(&cfg.SourceDatabase, "source-database", cfg.SourceDatabase, "source database of the statement")
	fs.StringVar(&cfg.Note, "note", cfg.Note, "why it was skipped (stored with the version)")
	cmd.AddCommand(skip)
	return cmd
}
