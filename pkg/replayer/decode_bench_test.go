package replayer

import (
	"math/rand/v2"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// BenchmarkDecode measures what the replayer spends per message before the sink: decoding and
// converting to sink rows (toRows), for 2-row and 50-row order messages. "columns" is
// event.DecodeColumnsShared, as the replayer does; the others decode into maps (event.Decode,
// event.DecodeCached, event.DecodeCachedShared), which are then turned into values per column.
func BenchmarkDecode(b *testing.B) {
	for _, dc := range []struct {
		name   string
		decode func([]byte, *event.SchemaCache) (*event.Message, error)
	}{
		{"decode", func(b []byte, _ *event.SchemaCache) (*event.Message, error) { return event.Decode(b) }},
		{"cached", event.DecodeCached},
		{"shared", event.DecodeCachedShared},
	} {
		benchDecode(b, dc.name, func(body []byte, sc *event.SchemaCache) (*event.Message, [][]*string, error) {
			m, err := dc.decode(body, sc)
			if err != nil {
				return nil, nil, err
			}
			return m, mapValues(m), nil
		})
	}
	benchDecode(b, "columns", event.DecodeColumnsShared) // as the replayer does
}

// mapValues returns the values of m's data maps in ferry.columns order (one allocation for all
// values, as the replayer's conversion did before DecodeColumnsShared).
func mapValues(m *event.Message) [][]*string {
	n := len(m.Ferry.Columns)
	vals, slab := make([][]*string, len(m.Data)), make([]*string, len(m.Data)*n)
	for i, img := range m.Data {
		vals[i] = slab[i*n : (i+1)*n : (i+1)*n]
		for j, c := range m.Ferry.Columns {
			vals[i][j] = img[c]
		}
	}
	return vals
}

func benchDecode(b *testing.B, name string, decode func([]byte, *event.SchemaCache) (*event.Message, [][]*string, error)) {
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
				m, vals, err := decode(body, sc)
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := tc.toRows(m, vals); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
