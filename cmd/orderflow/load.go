package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ferry-cdc/ferry/internal/cli"
	"github.com/ferry-cdc/ferry/pkg/orderflow/load"
	"github.com/ferry-cdc/ferry/pkg/orderflow/service"
)

// loadConfig configures `orderflow load`.
type loadConfig struct {
	common      `yaml:",inline"`
	load.Config `yaml:",inline"`
}

func newLoadCmd() *cobra.Command {
	cmd, _ := loadCommand()
	return cmd
}

// loadCommand returns the load subcommand and the config its flags are bound to.
func loadCommand() (*cobra.Command, *loadConfig) {
	cfg := &loadConfig{common: defaultCommon(), Config: load.DefaultConfig()}
	cmd := cfg.command(cli.Spec{
		Use:   "load",
		Short: "Generate order traffic (constant, evening curve to ~2,000 req/s, or flash bursts > 10,000 req/s)",
		Long: "Drives the order service in-process straight against MariaDB (--target db, the fast path) or an\n" +
			"`orderflow serve` instance (--target http://127.0.0.1:8080). Prints progress and achieved rates and\n" +
			"stops after --duration or --count. Run `orderflow seed` first. Pays are committed to order_outbox;\n" +
			"in db mode nothing is sent to RocketMQ (run `orderflow serve` or a relay to send them).",
	}, cfg, func(cmd *cobra.Command) error { return runLoad(cmd, cfg) })
	return cmd, cfg
}

// loadHelp documents the keys of load.Config (declared in pkg/orderflow/load by their yaml tags).
var loadHelp = map[string]string{
	"shape":       "rate shape: constant, evening or flash",
	"rate":        "requests/s (constant; base of evening and flash); 0 = as fast as possible",
	"peak":        "evening peak requests/s (reached at mid-run)",
	"flash-rate":  "flash burst requests/s",
	"flash-every": "flash burst period",
	"flash-len":   "flash burst length",
	"duration":    "stop after this long (0: only --count)",
	"count":       "stop after this many requests (0: only --duration)",
	"seed":        "random seed (operation mix and data)",
	"workers":     "concurrent requests",
	"users":       "user ids 1..users",
	"target":      "db (in-process, straight to MariaDB) or the base URL of 'orderflow serve'",
	"progress":    "progress line interval (0: none)",
}

// mixHelp documents the keys of load.Mix.
var mixHelp = map[string]string{
	"mix-create": "weight of create",
	"mix-pay":    "weight of pay",
	"mix-cancel": "weight of cancel",
	"mix-refund": "weight of refund",
	"mix-query":  "weight of query",
}

// seedHelp documents the keys of load.SeedConfig.
var seedHelp = map[string]string{
	"products": "products to create",
	"stock":    "stock per product",
	"coupons":  "users 1..N get one unused coupon each",
	"seed":     "random seed for prices and categories",
}

func runLoad(cmd *cobra.Command, cfg *loadConfig) error {
	ctx := cmd.Context()
	db, err := cfg.openDB(ctx, cfg.Workers+4)
	if err != nil {
		return err
	}
	defer db.Close()
	var target load.Target
	if cfg.Target == "db" {
		svc, err := service.New(db, service.DefaultConfig(), nil)
		if err != nil {
			return err
		}
		target = load.ServiceTarget{S: svc}
	} else {
		target = load.NewHTTPTarget(cfg.Target, cfg.Workers)
	}
	cfg.Out = cmd.ErrOrStderr()
	st, err := load.Run(ctx, db, target, cfg.Config)
	if err != nil {
		return err
	}
	return printJSON(cmd, st)
}

// seedConfig configures `orderflow seed`.
type seedConfig struct {
	common          `yaml:",inline"`
	load.SeedConfig `yaml:",inline"`
}

func newSeedCmd() *cobra.Command {
	cfg := &seedConfig{common: defaultCommon(), SeedConfig: load.DefaultSeedConfig()}
	return cfg.command(cli.Spec{
		Use:   "seed",
		Short: "Create the products (and per-user coupons) the workload uses; re-running resets their stock",
	}, cfg, func(cmd *cobra.Command) error {
		db, err := cfg.openDB(cmd.Context(), 2)
		if err != nil {
			return err
		}
		defer db.Close()
		if err := load.Seed(cmd.Context(), db, cfg.SeedConfig); err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "seeded %d products (stock %d each) and %d coupons\n", cfg.Products, cfg.Stock, cfg.Coupons)
		return nil
	})
}
