package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

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
	cmd := &cobra.Command{
		Use:   "load",
		Short: "Generate order traffic (constant, evening curve to ~2,000 req/s, or flash bursts > 10,000 req/s)",
		Long: "Drives the order service in-process straight against MariaDB (--target db, the fast path) or an\n" +
			"`orderflow serve` instance (--target http://127.0.0.1:8080). Prints progress and achieved rates and\n" +
			"stops after --duration or --count. Run `orderflow seed` first. Pays are committed to order_outbox;\n" +
			"in db mode nothing is sent to RocketMQ (run `orderflow serve` or a relay to send them).",
		RunE: func(cmd *cobra.Command, _ []string) error { return runLoad(cmd, cfg) },
	}
	cfg.common.bind(cmd)
	fs, c := cmd.Flags(), &cfg.Config
	fs.StringVar(&c.Shape, "shape", c.Shape, "rate shape: constant, evening or flash")
	fs.Float64Var(&c.Rate, "rate", c.Rate, "requests/s (constant; base of evening and flash); 0 = as fast as possible")
	fs.Float64Var(&c.Peak, "peak", c.Peak, "evening peak requests/s (reached at mid-run)")
	fs.Float64Var(&c.FlashRate, "flash-rate", c.FlashRate, "flash burst requests/s")
	fs.DurationVar(&c.FlashEvery, "flash-every", c.FlashEvery, "flash burst period")
	fs.DurationVar(&c.FlashLen, "flash-len", c.FlashLen, "flash burst length")
	fs.DurationVar(&c.Duration, "duration", c.Duration, "stop after this long (0: only --count)")
	fs.IntVar(&c.Count, "count", c.Count, "stop after this many requests (0: only --duration)")
	fs.Int64Var(&c.Seed, "seed", c.Seed, "random seed (operation mix and data)")
	fs.IntVar(&c.Workers, "workers", c.Workers, "concurrent requests")
	fs.IntVar(&c.Users, "users", c.Users, "user ids 1..users")
	fs.IntVar(&c.Mix.Create, "mix-create", c.Mix.Create, "weight of create")
	fs.IntVar(&c.Mix.Pay, "mix-pay", c.Mix.Pay, "weight of pay")
	fs.IntVar(&c.Mix.Cancel, "mix-cancel", c.Mix.Cancel, "weight of cancel")
	fs.IntVar(&c.Mix.Refund, "mix-refund", c.Mix.Refund, "weight of refund")
	fs.IntVar(&c.Mix.Query, "mix-query", c.Mix.Query, "weight of query")
	fs.StringVar(&c.Target, "target", c.Target, "db (in-process, straight to MariaDB) or the base URL of `orderflow serve`")
	fs.DurationVar(&c.Progress, "progress", c.Progress, "progress line interval (0: none)")
	return cmd, cfg
}

func runLoad(cmd *cobra.Command, cfg *loadConfig) error {
	if _, err := cfg.load(cmd, cfg); err != nil {
		return err
	}
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
	out, _ := json.MarshalIndent(st, "", "  ")
	fmt.Fprintln(cmd.OutOrStdout(), string(out))
	return nil
}

// seedConfig configures `orderflow seed`.
type seedConfig struct {
	common          `yaml:",inline"`
	load.SeedConfig `yaml:",inline"`
}

func newSeedCmd() *cobra.Command {
	cfg := &seedConfig{common: defaultCommon(), SeedConfig: load.DefaultSeedConfig()}
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Create the products (and per-user coupons) the workload uses; re-running resets their stock",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := cfg.load(cmd, cfg); err != nil {
				return err
			}
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
		},
	}
	cfg.common.bind(cmd)
	fs := cmd.Flags()
	fs.IntVar(&cfg.Products, "products", cfg.Products, "products to create")
	fs.IntVar(&cfg.Stock, "stock", cfg.Stock, "stock per product")
	fs.IntVar(&cfg.Coupons, "coupons", cfg.Coupons, "users 1..N get one unused coupon each")
	fs.Int64Var(&cfg.Seed, "seed", cfg.Seed, "random seed for prices and categories")
	return cmd
}
