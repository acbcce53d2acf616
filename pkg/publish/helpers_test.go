package publish

import (
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/pkg/publish/publishtest"
)

// testPublisher returns a Publisher on topic "t" that sends with s: queues queues, messages of
// at most maxRows rows and maxBytes bytes, buf messages buffered per queue, 1 s send timeouts and
// 10 ms retry delays. It is closed when the test ends.
func testPublisher(tb testing.TB, s Sender, queues, maxRows, maxBytes, buf int) *Publisher {
	tb.Helper()
	pub, err := New(Config{Topic: "t", Queues: queues, MaxBatchRows: maxRows, MaxBatchBytes: maxBytes,
		SendTimeout: time.Second, MaxRetryDelay: 10 * time.Millisecond, QueueBuffer: buf}, s, publishtest.Logger(tb), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { pub.Close() })
	return pub
}
