package replayer

import (
	"math/rand/v2"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// BenchmarkDecode measures what the replayer spends per message before the sink: decoding
// (event.Decode, event.DecodeCached, and event.DecodeCachedShared as the replayer does) and converting to sink rows (toRows), for 2-row and 50-row order messages.
func BenchmarkDecode(b *testing.B) {
	for _, dc := range []struct {
		name   string
		decode func([]byte, *event.SchemaCache) (*event.Message, error)
	}{
		{"decode", func(b []byte, _ *event.SchemaCache) (*event.Message, error) { return event.Decode(b) }},
		{"cached", event.DecodeCached},
		{"shared", event.DecodeCachedShared}, // as the replayer does
	} {
		benchDecode(b, dc.name, dc.decode)
	}
}

func benchDecode(b *testing.B, name string, decode func([]byte, *event.SchemaCache) (*event.Message, error)) {
	for _, perMsg := range []int{2, 50} {
		rng := rand.New(rand.NewPCG(1, 2))
		table := sinktest.OrdersTable("bench", "orders")
		body, err := event.Encode(chunkMessage(sinktest.OrderRows(rng, table, 1, perMsg), 1))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name+map[int]string{2: "/rows_2", 50: "/rows_50"}[perMsg], func(b *testing.B) {
			tc, sc := newTableCache(), event.NewSchemaCache()
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				m, err := decode(body, sc)
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := tc.toRows(m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
