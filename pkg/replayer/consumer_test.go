package replayer

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// TestConsumerConvergesAcrossRestart publishes a random history (with duplicate messages) to
// a 4-queue topic, stops the replayer gracefully half-way, publishes the rest and starts a new
// replayer in the same group: the copy must equal the source's final state.
func TestConsumerConvergesAcrossRestart(t *testing.T) {
	st := testenv.Get(t)
	const queues = 4
	topic := st.NewTopic(t, queues)
	target := newMySQLTarget(t, st)
	rng := rand.New(rand.NewPCG(7, 7))
	table := sinktest.PropTable("src", "orders_like")
	h := sinktest.Generate(rng, table, 400, 60)
	msgs := toMessages(h.Rows, queues)
	pub := newPublisher(t, st, topic, queues)
	half := len(msgs) / 2
	for i, m := range msgs[:half] {
		pub.send(m)
		if i%10 == 0 { // duplicate delivery from the producer side
			pub.send(m)
		}
	}
	cfg := testConfig(st, topic)
	r1, stop1 := startReplayer(t, cfg, target.sink)
	deadline := time.Now().Add(60 * time.Second)
	for counterValue(r1.metrics.MessagesTotal.WithLabelValues("rows")) < 10 {
		if time.Now().After(deadline) {
			t.Fatal("first replayer applied fewer than 10 messages in 60 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := stop1(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	for _, m := range msgs[half:] {
		pub.send(m)
	}
	r2, _ := startReplayer(t, cfg, target.sink)
	target.waitConverged(t, table, h.Final, 90*time.Second)
	if n := counterValue(r2.metrics.MessagesTotal.WithLabelValues("rows")); n == 0 {
		t.Fatal("second replayer acknowledged nothing")
	}
}
