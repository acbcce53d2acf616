package publish

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/publish/publishtest"
)

// groupRow is one row fed to the grouper: table, operation, key, and the schema generation and
// snapshot flag of its template.
type groupRow struct {
	table, typ, key string
	schema          int  // 0 or 1 (1: the table gained a column)
	snapshot        bool // a backfill row
	big             bool // a value of 300 bytes (byte limit)
}

// groupTemplates hands out one template per (table, schema, op, snapshot), sharing one column
// slice per (table, schema) as the tailer's tableInfo does.
type groupTemplates struct {
	cols  map[string][]string
	tmpls map[string]*event.Message
}

func (g *groupTemplates) of(r groupRow) *event.Message {
	id := fmt.Sprintf("%s/%d/%s/%v", r.table, r.schema, r.typ, r.snapshot)
	if m := g.tmpls[id]; m != nil {
		return m
	}
	ck := fmt.Sprintf("%s/%d", r.table, r.schema)
	cols := g.cols[ck]
	if cols == nil {
		cols = []string{"id", "v", "w"}[:2+r.schema]
		g.cols[ck] = cols
	}
	m := &event.Message{Database: "db", Table: r.table, Type: r.typ, PKNames: []string{"id"},
		Ferry: &event.Meta{Format: event.Format, File: "mariadb-bin.000001", Snapshot: r.snapshot, Columns: cols}}
	g.tmpls[id] = m
	return m
}

// runGrouper feeds rows (versions 1, 2, ... in order) through a grouper into a recorder, seals
// everything, waits for SEND_OK and returns the recorded messages.
func runGrouper(t *testing.T, queues, maxRows, maxBytes int, rows []groupRow) []publishtest.Recorded {
	t.Helper()
	return runGrouperAs(t, feedMaps, queues, maxRows, maxBytes, rows)
}

// How runGrouperAs hands rows to the grouper: Add (maps), AddValues, or the two alternating.
const (
	feedMaps = iota
	feedValues
	feedMixed
)

// runGrouperAs is runGrouper with rows added as feed says.
func runGrouperAs(t *testing.T, feed, queues, maxRows, maxBytes int, rows []groupRow) []publishtest.Recorded {
	t.Helper()
	rec := &publishtest.Recorder{}
	pub := testPublisher(t, rec, queues, maxRows, maxBytes, 2)
	b := NewGrouper(pub)
	g := &groupTemplates{cols: map[string][]string{}, tmpls: map[string]*event.Message{}}
	for i, r := range rows {
		v := "x"
		if r.big {
			v = strings.Repeat("x", 300)
		}
		data := map[string]*string{"id": event.Str(r.key), "v": event.Str(v)}
		vals := []*string{data["id"], data["v"]}
		if r.schema == 1 {
			data["w"], vals = nil, append(vals, nil)
		}
		var err error
		if feed == feedValues || (feed == feedMixed && i%2 == 1) {
			err = b.AddValues(t.Context(), g.of(r), vals, nil, uint64(i+1))
		} else {
			err = b.Add(t.Context(), g.of(r), data, nil, uint64(i+1))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := b.SealAll(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := pub.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if b.Rows() != 0 {
		t.Fatalf("%d rows left unsealed after SealAll", b.Rows())
	}
	return rec.Snapshot()
}

// renderMsgs shows a queue's messages in send order as "table/OP[/cols][/snap]:key,key".
func renderMsgs(rs []publishtest.Recorded) string {
	var out []string
	for _, r := range rs {
		m := r.Msg
		s := m.Table + "/" + m.Type
		if len(m.Ferry.Columns) != 2 {
			s += fmt.Sprintf("/%dcols", len(m.Ferry.Columns))
		}
		if m.Ferry.Snapshot {
			s += "/snap"
		}
		keys := make([]string, len(m.Data))
		for i := range m.Data {
			keys[i] = m.RowKey(i)
		}
		out = append(out, s+":"+strings.Join(keys, ","))
	}
	return strings.Join(out, " ")
}

func TestGrouperGrouping(t *testing.T) {
	ins := func(table, key string) groupRow { return groupRow{table: table, typ: event.TypeInsert, key: key} }
	upd := func(table, key string) groupRow { return groupRow{table: table, typ: event.TypeUpdate, key: key} }
	del := func(table, key string) groupRow { return groupRow{table: table, typ: event.TypeDelete, key: key} }
	big := func(r groupRow) groupRow { r.big = true; return r }
	cases := []struct {
		name     string
		maxRows  int
		maxBytes int
		rows     []groupRow
		want     string
	}{
		{name: "tables and operations of many transactions merge",
			rows: []groupRow{ins("orders", "1"), ins("items", "10"), upd("stock", "5"), ins("orders", "2"), ins("items", "11"), upd("stock", "5")},
			want: "orders/INSERT:1,2 items/INSERT:10,11 stock/UPDATE:5,5"},
		{name: "a key's later row may join an older open message only after its previous row",
			rows: []groupRow{ins("o", "1"), ins("o", "2"), upd("o", "1"), ins("o", "3"), upd("o", "2"), del("o", "1"), ins("o", "1"), ins("o", "4")},
			want: "o/INSERT:1,2,3 o/UPDATE:1,2 o/DELETE:1 o/INSERT:1,4"},
		{name: "key change: DELETE old key, INSERT new key, then changes of the new key",
			rows: []groupRow{ins("o", "1"), del("o", "1"), ins("o", "2"), upd("o", "2"), ins("o", "3")},
			want: "o/INSERT:1,2,3 o/DELETE:1 o/UPDATE:2"},
		{name: "same key in two tables is two keys",
			rows: []groupRow{ins("b", "2"), upd("a", "1"), ins("b", "1")},
			want: "b/INSERT:2,1 a/UPDATE:1"},
		{name: "row limit",
			maxRows: 3,
			rows:    []groupRow{ins("o", "1"), ins("o", "2"), ins("o", "3"), ins("o", "4"), ins("o", "5"), ins("o", "6"), ins("o", "7")},
			want:    "o/INSERT:1,2,3 o/INSERT:4,5,6 o/INSERT:7"},
		{name: "a full message is sent with every message created before it",
			maxRows: 2,
			rows:    []groupRow{upd("s", "9"), ins("o", "1"), ins("o", "2"), upd("s", "8"), ins("o", "3"), upd("s", "9")},
			want:    "s/UPDATE:9,8 o/INSERT:1,2 o/INSERT:3 s/UPDATE:9"},
		{name: "byte limit",
			maxBytes: 1300,
			rows:     []groupRow{big(ins("o", "1")), big(ins("o", "2")), big(ins("o", "3")), big(ins("o", "4")), big(ins("o", "5"))},
			want:     "o/INSERT:1,2 o/INSERT:3,4 o/INSERT:5"},
		{name: "event-time schema and snapshot flag split groups",
			rows: []groupRow{ins("o", "1"), {table: "o", typ: event.TypeInsert, key: "2", schema: 1}, ins("o", "3"),
				{table: "o", typ: event.TypeInsert, key: "4", snapshot: true}, {table: "o", typ: event.TypeInsert, key: "5", schema: 1}},
			want: "o/INSERT:1,3 o/INSERT/3cols:2,5 o/INSERT/snap:4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			maxRows, maxBytes := c.maxRows, c.maxBytes
			if maxRows == 0 {
				maxRows = 1000
			}
			if maxBytes == 0 {
				maxBytes = 1 << 20
			}
			got := renderMsgs(runGrouper(t, 1, maxRows, maxBytes, c.rows))
			if got != c.want {
				t.Errorf("messages:\n got %s\nwant %s", got, c.want)
			}
		})
	}
}

// randomGroupRows returns n rows of random tables (of tables), operations, keys (of keys) and
// schema generations; with big, about one in ten has a 300-byte value.
func randomGroupRows(rng *rand.Rand, n, tables, keys int, big bool) []groupRow {
	ops := []string{event.TypeInsert, event.TypeUpdate, event.TypeDelete}
	rows := make([]groupRow, n)
	for i := range rows {
		rows[i] = groupRow{table: fmt.Sprintf("t%d", rng.IntN(tables)), typ: ops[rng.IntN(3)], key: fmt.Sprint(rng.IntN(keys)),
			schema: rng.IntN(2) * rng.IntN(2), big: big && rng.IntN(10) == 0}
	}
	return rows
}

// TestGrouperRandomOrder feeds random mixes of tables, operations and keys over several queues
// and small limits: every row must arrive exactly once, each key on one queue in input order.
func TestGrouperRandomOrder(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		rows := randomGroupRows(rng, 2000, 4, 30, false)
		recs := runGrouper(t, 3, 5+rng.IntN(40), 1<<20, rows)
		flat, _ := publishtest.Flatten(recs)
		if len(flat) != len(rows) {
			t.Fatalf("seed %d: %d rows out, %d in", seed, len(flat), len(rows))
		}
		seen := map[uint64]bool{}
		for _, r := range flat {
			in := rows[r.Version-1]
			if seen[r.Version] || in.table != r.Table || in.typ != r.Type || in.key != r.Key {
				t.Fatalf("seed %d: row %d out as %s %s %s (dup %v), in as %+v", seed, r.Version, r.Table, r.Type, r.Key, seen[r.Version], in)
			}
			seen[r.Version] = true
		}
		publishtest.CheckOrder(t, flat)
		if len(recs) >= len(rows)/2 {
			t.Errorf("seed %d: %d messages for %d rows: not grouped", seed, len(recs), len(rows))
		}
	}
}

// TestGrouperValuesMatchMaps checks that rows added as values (AddValues), as maps (Add) or
// alternating give the same message bodies.
func TestGrouperValuesMatchMaps(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		rng := rand.New(rand.NewPCG(seed, 9))
		rows := randomGroupRows(rng, 500, 3, 20, true)
		maxRows := 3 + rng.IntN(20)
		want := runGrouperAs(t, feedMaps, 3, maxRows, 4096, rows)
		for _, feed := range []int{feedValues, feedMixed} {
			got := runGrouperAs(t, feed, 3, maxRows, 4096, rows)
			if g, w := bodiesByQueue(got), bodiesByQueue(want); !reflect.DeepEqual(g, w) {
				t.Fatalf("seed %d feed %d: messages by queue\n%v\nmaps:\n%v", seed, feed, g, w)
			}
		}
	}
}

// bodiesByQueue returns each queue's message bodies in send order (lanes send concurrently),
// without the message ids (numbered in sealing order across queues).
func bodiesByQueue(rs []publishtest.Recorded) map[int][]string {
	out := map[int][]string{}
	for _, r := range rs {
		body := string(r.Body)
		out[r.Queue] = append(out[r.Queue], body[strings.Index(body, ","):])
	}
	return out
}

// BenchmarkGrouperAdd measures the grouper's cost per row (grouping, per-key order bookkeeping,
// sealing) into a no-op sender: bulk rows of one table, and an order flow of four tables with
// mixed operations.
func BenchmarkGrouperAdd(b *testing.B) {
	for _, shape := range []string{"bulk", "orderflow"} {
		b.Run(shape, func(b *testing.B) {
			bt := NewGrouper(testPublisher(b, publishtest.NopSender{}, 8, 1000, 1<<20, 4))
			g := &groupTemplates{cols: map[string][]string{}, tmpls: map[string]*event.Message{}}
			tables := []string{"orders", "items", "stock", "customers"}
			ops := []string{event.TypeInsert, event.TypeInsert, event.TypeUpdate, event.TypeUpdate}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				r := groupRow{table: "orders", typ: event.TypeInsert, key: strconv.Itoa(i)}
				if shape == "orderflow" {
					r = groupRow{table: tables[i%4], typ: ops[i%4], key: strconv.Itoa(i / 4 % 5000)}
				}
				data := map[string]*string{"id": event.Str(r.key), "v": event.Str("x")}
				if err := bt.Add(b.Context(), g.of(r), data, nil, uint64(i+1)); err != nil {
					b.Fatal(err)
				}
				if i%5000 == 4999 { // a flush window
					if err := bt.SealAll(b.Context()); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// TestGrouperRefusesUnencodableRow: a row that cannot be encoded (invalid UTF-8) is refused
// when it is added, naming the table; the message it would have opened is never sent empty,
// and the rows before and after it are sent.
func TestGrouperRefusesUnencodableRow(t *testing.T) {
	rec := &publishtest.Recorder{}
	pub := testPublisher(t, rec, 1, 10, 1<<20, 2)
	g, tmpls := NewGrouper(pub), &groupTemplates{cols: map[string][]string{}, tmpls: map[string]*event.Message{}}
	add := func(table, key, v string, version uint64) error {
		tmpl := tmpls.of(groupRow{table: table, typ: event.TypeInsert, key: key})
		return g.AddValues(t.Context(), tmpl, []*string{event.Str(key), event.Str(v)}, nil, version)
	}
	if err := add("t1", "1", "ok", 1); err != nil {
		t.Fatal(err)
	}
	err := add("t2", "2", "\xff", 2) // t2's first row: it would open a message of its own
	if !errors.Is(err, event.ErrMalformed) || !strings.Contains(err.Error(), "db.t2") {
		t.Fatalf("error %v, want ErrMalformed naming db.t2", err)
	}
	if err := add("t1", "3", "ok", 3); err != nil {
		t.Fatal(err)
	}
	if err := g.SealAll(t.Context()); err != nil {
		t.Fatal(err)
	}
	dctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := pub.Drain(dctx); err != nil {
		t.Fatalf("drain (an empty message would be retried forever): %v", err)
	}
	got := rec.Snapshot()
	if len(got) != 1 || got[0].Msg.Table != "t1" || got[0].Msg.NumRows() != 2 {
		t.Fatalf("sent %d messages (%v), want one t1 message of 2 rows", len(got), got)
	}
}
