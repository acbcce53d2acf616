package main

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/ferry-cdc/ferry/pkg/orderflow/service"
)

func runCloser(cmd *cobra.Command, cfg *closerConfig) error {
	log := cfg.log
	ccfg := service.CloserConfig{Batch: cfg.CloseBatch, Interval: cfg.CloseInterval}
	if err := ccfg.Validate(); err != nil {
		return err
	}
	ctx := cmd.Context()
	db, err := cfg.openDB(ctx, 4)
	if err != nil {
		return err
	}
	defer db.Close()
	reg := prometheus.NewRegistry()
	svc, err := service.New(db, service.DefaultConfig(), log, service.WithMetrics(service.NewMetrics(reg)))
	if err != nil {
		return err
	}
	if cfg.Once {
		total := 0
		for {
			n, err := svc.CloseExpired(ctx, ccfg.Batch)
			total += n
			if err != nil {
				return err
			}
			if n < ccfg.Batch {
				fmt.Fprintf(cmd.OutOrStdout(), "closed %d expired orders\n", total)
				return nil
			}
		}
	}
	cfg.serveMetrics(ctx, reg, dbReady(db), log)
	return svc.RunCloser(ctx, ccfg)
}
