package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferry-cdc/ferry/pkg/mq"
)

// topicCmd creates the change topic, or grows its queue count. Operators should create the topic
// before the first start rather than rely on the broker's auto-creation, whose queue count is the
// broker's default. Growing the queue count on a live topic is safe: a key's changes may move to
// another queue, and the replayer's version guard turns the possible reordering into duplicates.
func topicCmd() *cobra.Command {
	t := struct {
		options    `yaml:",inline"`
		BrokerAddr string `yaml:"broker-addr" help:"RocketMQ broker that hosts the topic"`
		Queues     int    `yaml:"queues" help:"queue count (more queues: more replayer parallelism)"`
	}{options: defaultOptions(), BrokerAddr: "127.0.0.1:10911", Queues: 8}
	return command("create-topic", "create the change topic with --queues queues, or grow it to that many", &t.options, &t,
		func(ctx context.Context, o *options, log *slog.Logger) error {
			brokerAddr, queues := t.BrokerAddr, t.Queues
			if queues < 1 {
				return fmt.Errorf("--queues must be at least 1, not %d", queues)
			}
			mq.SetLogger(log)
			tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			if err := mq.EnsureTopic(tctx, o.NameServer, brokerAddr, o.Topic, queues); err != nil {
				return fmt.Errorf("create topic %s on %s: %w (is the broker up? scripts/stack status)", o.Topic, brokerAddr, err)
			}
			fmt.Printf("topic %s has %d queues\n", o.Topic, queues)
			return nil
		})
}
