package orderflow

import (
	"fmt"
	"os"
	"sync/atomic"

	"github.com/apache/rocketmq-client-go/v2/consumer"
)

var instanceSeq atomic.Uint64

// InstanceName returns a RocketMQ client instance name unique in this process. Clients that
// share IP@pid@instance share one internal client (and its subscriptions and offsets), so every
// producer and consumer of the order flow gets its own.
func InstanceName(role string) string {
	return fmt.Sprintf("orderflow-%s-%d-%d", role, os.Getpid(), instanceSeq.Add(1))
}

// ConsumerOptions are the options every order-flow consumer starts with: its own client
// instance, and a new group starts from the first offset of the topic, so no message sent
// before the group existed is missed.
func ConsumerOptions(nameServer, group, role string) []consumer.Option {
	return []consumer.Option{
		consumer.WithNameServer([]string{nameServer}),
		consumer.WithGroupName(group),
		consumer.WithInstance(InstanceName(role)),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	}
}
