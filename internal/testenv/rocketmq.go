package testenv

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/pkg/mq"
)

// init routes rocketmq-client-go's logrus output (info-level chatter on
// stderr) through pkg/mq at warning level; a test calling mq.SetLogger later wins.
func init() {
	mq.SetLogger(slog.New(slog.NewTextHandler(os.Stderr, nil)))
}

// NewTopic creates a uniquely named topic with the given number of queues on
// the stack's broker and returns its name once the name server routes it
// (fatal otherwise). Topics are left on the broker (they are small).
func (s *Stack) NewTopic(t testing.TB, queues int) string {
	t.Helper()
	name := UniqueName("ferry_" + testPrefix(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := mq.EnsureTopic(ctx, s.NameServer, s.BrokerAddr, name, queues); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return name
}
