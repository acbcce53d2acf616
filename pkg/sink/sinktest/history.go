// Package sinktest generates random source histories and adversarial deliveries of them for the
// sinks' property tests (docs/design.md section 2): whatever the delivery - duplicates, reordering
// across and within keys, replays of earlier ranges, random batch sizes - a correct sink ends
// with exactly the history's final state.
package sinktest

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/sink"
)

// PropTable returns a table with one column of every type the sinks must carry losslessly:
// composite primary key (utf8mb4 string + unsigned bigint), decimal, datetime(3), unsigned
// bigint, varbinary, utf8mb4 text, NULLs, JSON, enum, bit, timestamp(3), signed tinyint, date,
// double.
func PropTable(database, name string) *sink.Table {
	return &sink.Table{Database: database, Name: name, PK: []string{"tenant", "id"}, Columns: []sink.Column{
		{Name: "tenant", MySQLType: "varchar(16)"},
		{Name: "id", MySQLType: "bigint(20) unsigned"},
		{Name: "amount", MySQLType: "decimal(12,2)"},
		{Name: "at", MySQLType: "datetime(3)"},
		{Name: "big", MySQLType: "bigint(20) unsigned"},
		{Name: "bin", MySQLType: "varbinary(16)"},
		{Name: "txt", MySQLType: "varchar(64)"},
		{Name: "note", MySQLType: "text"},
		{Name: "doc", MySQLType: "json"},
		{Name: "st", MySQLType: "enum('new','paid','gone')"},
		{Name: "flags", MySQLType: "bit(8)"},
		{Name: "ts", MySQLType: "timestamp(3)"},
		{Name: "small", MySQLType: "tinyint(4)"},
		{Name: "day", MySQLType: "date"},
		{Name: "ratio", MySQLType: "double"},
	}}
}

// History is a generated source history: the row changes in binlog order and the final state.
type History struct {
	Rows  []sink.Row
	Final map[string][]*string // live rows by Key
}

// Key joins the primary key values of a row image.
func Key(t *sink.Table, values []*string) string {
	if t.RowKeyed() { // the copy is a set of whole rows
		return string(sink.RowDigest(values))
	}
	parts := make([]string, len(t.PK))
	for i, pk := range t.PK {
		if v := values[t.ColumnIndex(pk)]; v != nil {
			parts[i] = *v
		}
	}
	return strings.Join(parts, "\x00")
}

// Generate makes a history of about n events over at most keys distinct keys: inserts,
// updates, primary-key changes (a DELETE of the old key and an INSERT of the new key with the
// same version, as the tailer splits them) and deletes. Versions increase strictly except for
// the two halves of a key change; several rows of one event get consecutive versions.
func Generate(rng *rand.Rand, t *sink.Table, n, keys int) History {
	g := &gen{rng: rng, t: t, live: map[string][]*string{}, version: uint64(1) << 40}
	for range n {
		g.version += 1 + uint64(rng.IntN(50))
		switch r := rng.IntN(10); {
		case r < 4 || len(g.live) == 0:
			g.insert(g.newKey(keys))
		case r < 7:
			g.update(g.anyKey())
		case r < 8:
			g.changeKey(g.anyKey(), keys)
		default:
			g.remove(g.anyKey())
		}
	}
	return History{Rows: g.rows, Final: g.live}
}

type gen struct {
	rng     *rand.Rand
	t       *sink.Table
	live    map[string][]*string
	rows    []sink.Row
	version uint64
}

func (g *gen) emit(op sink.Op, values []*string) {
	g.rows = append(g.rows, sink.Row{Table: g.t, Op: op, Version: g.version, Values: values})
}

func (g *gen) newKey(keys int) []*string {
	v := g.randomRow()
	for range 20 {
		v[0] = ptr([]string{"acme", "Acme", "globex", "初期", "o'brien"}[g.rng.IntN(5)])
		v[1] = ptr(fmt.Sprint(uint64(g.rng.IntN(keys)) + []uint64{0, 1 << 63}[g.rng.IntN(2)]))
		if _, taken := g.live[Key(g.t, v)]; !taken {
			break
		}
	}
	return v
}

func (g *gen) anyKey() string {
	keys := make([]string, 0, len(g.live))
	for k := range g.live {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys[g.rng.IntN(len(keys))]
}

func (g *gen) insert(v []*string) {
	k := Key(g.t, v)
	if _, taken := g.live[k]; taken {
		g.update(k)
		return
	}
	g.live[k] = v
	g.emit(sink.OpInsert, v)
}

func (g *gen) update(k string) {
	old := g.live[k]
	v := g.randomRow()
	v[0], v[1] = old[0], old[1]
	g.live[k] = v
	g.emit(sink.OpUpdate, v)
}

func (g *gen) changeKey(k string, keys int) {
	old := g.live[k]
	nv := g.newKey(keys)
	if _, taken := g.live[Key(g.t, nv)]; taken {
		g.update(k)
		return
	}
	delete(g.live, k)
	g.emit(sink.OpDelete, old)
	g.live[Key(g.t, nv)] = nv
	g.emit(sink.OpInsert, nv) // same version as the delete
}

func (g *gen) remove(k string) {
	g.emit(sink.OpDelete, g.live[k])
	delete(g.live, k)
}

func ptr(s string) *string { return &s }

// randomRow returns random canonical values for PropTable (key columns filled by the caller).
func (g *gen) randomRow() []*string {
	r := g.rng
	maybe := func(s string) *string {
		if r.IntN(6) == 0 {
			return nil
		}
		return &s
	}
	base := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	at := base.Add(time.Duration(r.Int64N(int64(29 * 365 * 24 * time.Hour)))).Truncate(time.Millisecond)
	ts := base.Add(time.Duration(r.Int64N(int64(35 * 365 * 24 * time.Hour)))).Truncate(time.Millisecond)
	bin := make([]byte, r.IntN(17))
	for i := range bin {
		bin[i] = byte(r.IntN(256))
	}
	texts := []string{"", "plain", "订单🚀 ok", `quote ' and "double" \ back`, "tab\tnew\nline", "ÄÖÜ ß"}
	return []*string{
		nil, nil,
		maybe(fmt.Sprintf("%s%d.%02d", []string{"", "-"}[r.IntN(2)], r.IntN(1e9), r.IntN(100))),
		maybe(at.Format("2006-01-02 15:04:05.000")),
		maybe(fmt.Sprint([]uint64{0, 1, 1<<63 + 5, ^uint64(0), r.Uint64()}[r.IntN(5)])),
		maybe(event.EncodeBytes(bin)),
		maybe(texts[r.IntN(len(texts))]),
		maybe(strings.Repeat(texts[r.IntN(len(texts))], r.IntN(30))),
		maybe(fmt.Sprintf(`{"n": %d, "s": "✓"}`, r.IntN(1000))),
		maybe([]string{"new", "paid", "gone"}[r.IntN(3)]),
		maybe(fmt.Sprint(r.IntN(256))),
		maybe(ts.Format("2006-01-02 15:04:05.000")),
		maybe(fmt.Sprint(r.IntN(256) - 128)),
		maybe(at.Format("2006-01-02")),
		maybe(fmt.Sprint(float64(r.IntN(100000)-50000) / 4)),
	}
}
