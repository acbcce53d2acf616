package main

import (
	"database/sql"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/ferry-cdc/ferry/pkg/orderflow/flashsale"
	"github.com/ferry-cdc/ferry/pkg/orderflow/publish"
)

// flashEnv holds what the flash-sale subcommands open.
type flashEnv struct {
	cfg *flashConfig
	log *slog.Logger
	db  *sql.DB
	rdb *redis.Client
	reg *prometheus.Registry
	pub *publish.RocketMQ
}

func (e *flashEnv) close() {
	if e.pub != nil {
		_ = e.pub.Shutdown()
	}
	_ = e.rdb.Close()
	_ = e.db.Close()
}

// gate opens the sale --sale-id on a gate with a sync publisher.
func (e *flashEnv) gate(cmd *cobra.Command) (*flashsale.Gate, error) {
	sale, err := flashsale.LoadSale(cmd.Context(), e.db, e.cfg.SaleID, e.cfg.Scope)
	if err != nil {
		return nil, err
	}
	pcfg := publish.DefaultConfig()
	pcfg.NameServer = e.cfg.NameServer
	if e.pub, err = publish.NewRocketMQ(pcfg); err != nil {
		return nil, err
	}
	g, err := flashsale.NewGate(e.rdb, e.pub, e.cfg.FlashTopic, flashsale.NewMetrics(e.reg), e.log)
	if err != nil {
		return nil, err
	}
	g.Open(sale)
	return g, nil
}
