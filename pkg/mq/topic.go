package mq

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/ferry-cdc/ferry/internal/retry"
)

// ErrTopicNotConfirmed is returned by EnsureTopic when the name server does
// not show the topic with the requested queue count before the context ends.
var ErrTopicNotConfirmed = errors.New("topic not confirmed by the name server")

// confirmPoll is how often EnsureTopic re-reads the route while waiting.
const confirmPoll = 100 * time.Millisecond

// EnsureTopic creates topic on the broker at brokerAddr (or updates its queue
// count) with queues read and write queues, then waits until the name server
// at nameServer returns a route with exactly queues write queues. The wait is
// bounded by ctx; give it a deadline (a few seconds is plenty on loopback).
func EnsureTopic(ctx context.Context, nameServer, brokerAddr, topic string, queues int) error {
	if topic == "" || queues <= 0 {
		return fmt.Errorf("ensure topic %q with %d queues: need a name and at least one queue", topic, queues)
	}
	if err := createTopic(ctx, nameServer, brokerAddr, topic, queues); err != nil {
		return err
	}
	var last error
	for {
		n, err := QueueCount(ctx, nameServer, topic)
		if err == nil && n == queues {
			return nil
		}
		last = err
		if err == nil {
			last = fmt.Errorf("route has %d write queues, want %d", n, queues)
		}
		if retry.Sleep(ctx, confirmPoll) != nil {
			return fmt.Errorf("ensure topic %q on %s: %w (last: %v); check the broker log (scripts/stack logs broker)",
				topic, brokerAddr, ErrTopicNotConfirmed, last)
		}
	}
}

func createTopic(ctx context.Context, nameServer, brokerAddr, topic string, queues int) error {
	a, err := newAdmin(nameServer)
	if err != nil {
		return err
	}
	defer a.Close()
	err = a.CreateTopic(ctx,
		admin.WithTopicCreate(topic),
		admin.WithBrokerAddrCreate(brokerAddr),
		admin.WithReadQueueNums(queues),
		admin.WithWriteQueueNums(queues))
	if err != nil {
		return fmt.Errorf("create topic %q on broker %s: %w", topic, brokerAddr, err)
	}
	return nil
}

// QueueCount returns the number of write queues the name server at
// nameServer routes for topic. Each call asks the name server afresh (the
// client library caches routes per client, so a fresh admin client is used).
func QueueCount(ctx context.Context, nameServer, topic string) (int, error) {
	a, err := newAdmin(nameServer)
	if err != nil {
		return 0, err
	}
	type result struct {
		n   int
		err error
	}
	ch := make(chan result, 1)
	// The library's route query ignores ctx (it has its own 3 s timeout); the
	// goroutine owns the client and closes it when the query returns.
	go func() {
		defer a.Close()
		mqs, err := a.FetchPublishMessageQueues(ctx, topic)
		ch <- result{len(mqs), err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return 0, fmt.Errorf("fetch route of topic %q from %s: %w", topic, nameServer, r.err)
		}
		return r.n, nil
	case <-ctx.Done():
		return 0, fmt.Errorf("fetch route of topic %q from %s: %w", topic, nameServer, ctx.Err())
	}
}

// newAdmin builds an admin client with a unique instance name (the library
// derives one from the current time), so closing it never shuts down a
// producer or consumer sharing the process.
func newAdmin(nameServer string) (admin.Admin, error) {
	a, err := admin.NewAdmin(admin.WithResolver(primitive.NewPassthroughResolver([]string{nameServer})))
	if err != nil {
		return nil, fmt.Errorf("create rocketmq admin client for %s: %w", nameServer, err)
	}
	return a, nil
}
