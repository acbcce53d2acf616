package replayer

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// TestDDLOncePerVersion publishes rows, an ADD COLUMN to every queue (as the tailer does), and
// rows of the new shape: the DDL is applied once, recorded once, and the new column's values
// arrive in the copy.
func TestDDLOncePerVersion(t *testing.T) {
	st := testenv.Get(t)
	const queues = 3
	topic := st.NewTopic(t, queues)
	target := newMySQLTarget(t, st)
	before := &sink.Table{Database: "shop", Name: "items", PK: []string{"id"}, Columns: []sink.Column{
		{Name: "id", MySQLType: "bigint(20) unsigned"}, {Name: "qty", MySQLType: "int(11)"}}}
	after := &sink.Table{Database: "shop", Name: "items", PK: []string{"id"}, Columns: []sink.Column{
		{Name: "id", MySQLType: "bigint(20) unsigned"}, {Name: "qty", MySQLType: "int(11)"}, {Name: "sku", MySQLType: "varchar(16)"}}}
	pub := newPublisher(t, st, topic, queues)
	want := map[string][]*string{}
	v := uint64(1000)
	for i := range 12 {
		v++
		id := strconv.Itoa(i)
		pub.send(rowMessage(sink.Row{Table: before, Op: sink.OpInsert, Version: v, Values: []*string{&id, event.Str("1")}}, int64(v)))
	}
	v++
	ddlVersion := v
	pub.send(&event.Message{ID: int64(v), Database: "shop", Table: "items", IsDDL: true, Type: event.TypeAlter,
		SQL: "ALTER TABLE items ADD COLUMN sku VARCHAR(16) NOT NULL DEFAULT ''", ES: time.Now().UnixMilli(),
		Ferry: &event.Meta{Format: event.Format, Versions: []uint64{v}, File: "mysql-bin.000002", Pos: 777, ServerID: 1}})
	for i := range 12 {
		v++
		id, sku := strconv.Itoa(i), fmt.Sprintf("SKU-%d", i)
		pub.send(rowMessage(sink.Row{Table: after, Op: sink.OpUpdate, Version: v, Values: []*string{&id, event.Str("2"), &sku}}, int64(v)))
		want[sinktest.Key(after, []*string{&id})] = []*string{&id, event.Str("2"), &sku}
	}
	r, _ := startReplayer(t, testConfig(st, topic), target)
	waitConverged(t, target, after, want, 60*time.Second)
	var recorded int
	q := fmt.Sprintf("SELECT COUNT(*) FROM `%s`.`%s` WHERE version = %d", target.copyDB, sink.DDLAppliedTable, ddlVersion)
	if err := target.sink.DB().QueryRow(q).Scan(&recorded); err != nil || recorded != 1 {
		t.Fatalf("ddl version recorded %d times (%v), want once", recorded, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for metricValue(r.metrics.DDL.WithLabelValues("handled")) != queues {
		if time.Now().After(deadline) {
			t.Fatalf("ddl handled %v times, want once per queue (%d)", metricValue(r.metrics.DDL.WithLabelValues("handled")), queues)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
