package replayer

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/sink"
)

// barrierTable builds the test table shape with a second column named col.
func barrierTable(name, col string) *sink.Table {
	return &sink.Table{Database: "shop", Name: name, PK: []string{"id"}, Columns: []sink.Column{
		{Name: "id", MySQLType: "int(11)"}, {Name: col, MySQLType: "int(11)"}}}
}

func barrierRow(t *sink.Table, op sink.Op, v uint64, id, val string) *event.Message {
	return rowMessage(sink.Row{Table: t, Op: op, Version: v, Values: []*string{&id, &val}}, int64(v))
}

func barrierDDL(v uint64, table, kind, sql string) *event.Message {
	return &event.Message{ID: int64(v), Database: "shop", Table: table, IsDDL: true, Type: kind, SQL: sql,
		ES: time.Now().UnixMilli(), Ferry: &event.Meta{Format: event.Format, Versions: []uint64{v},
			File: "mysql-bin.000002", Pos: v, ServerID: 1}}
}

// sendTo publishes m to one queue (rows and DDL copies alike), so a test decides which queue
// lags.
func (pb *publisher) sendTo(queue int, m *event.Message) {
	pb.t.Helper()
	body, err := event.Encode(m)
	if err != nil {
		pb.t.Fatalf("encode: %v", err)
	}
	pb.sendRaw(queue, body, fmt.Sprint(m.ID))
}

// liveRows reads "id=val" of the copy table's live rows, sorted ("" if the table or column
// does not exist).
func (mt *mysqlTarget) liveRows(ctx context.Context, table, col string) (string, error) {
	rows, err := mt.sink.DB().QueryContext(ctx, fmt.Sprintf("SELECT id, COALESCE(`%s`, 'NULL') FROM `%s`.`%s` WHERE _deleted = 0", col, mt.copyDB, table))
	if err != nil {
		if strings.Contains(err.Error(), "doesn't exist") || strings.Contains(err.Error(), "Unknown column") {
			return "", nil
		}
		return "", err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, v string
		if err := rows.Scan(&id, &v); err != nil {
			return "", err
		}
		out = append(out, id+"="+v)
	}
	sort.Strings(out)
	return strings.Join(out, " "), rows.Err()
}

// TestDDLBarrierWaitsForLaggingQueue publishes a DDL to two queues where queue 1 lags: queue
// 0 carries a row, the DDL and a row after it; queue 1's row (older than the DDL) and its copy
// of the DDL are published only after the replayer has run for a while. The DDL must be
// applied only after queue 1's earlier row (issue 14, issue 15 item 5): applied when the
// first queue reaches it, a RENAME COLUMN drops the lagging update, a RENAME TABLE leaves a
// ghost table, and a TRUNCATE brings back a row the copy had not seen yet.
func TestDDLBarrierWaitsForLaggingQueue(t *testing.T) {
	st := testenv.Get(t)
	before := barrierTable("t", "a")
	for _, tc := range []struct {
		name  string
		ddl   *event.Message
		after *sink.Table // shape of rows after the DDL
		table string      // copy table to read
		col   string
		want  string
		ghost string // a copy table that must not exist or hold rows afterwards
	}{
		{"rename column", barrierDDL(30, "t", event.TypeAlter, "ALTER TABLE t RENAME COLUMN a TO b"),
			barrierTable("t", "b"), "t", "b", "1=5 2=2 3=9", ""},
		{"rename table", barrierDDL(30, "t", event.TypeRename, "RENAME TABLE t TO t_old"),
			barrierTable("t_old", "a"), "t_old", "a", "1=5 2=2 3=9", "t"},
		{"truncate", barrierDDL(30, "t", event.TypeTruncate, "TRUNCATE TABLE t"),
			before, "t", "a", "3=9", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			topic := st.NewTopic(t, 2)
			target := newMySQLTarget(t, st)
			pub := newPublisher(t, st, topic, 2)
			pub.sendTo(0, barrierRow(before, sink.OpInsert, 10, "2", "2"))
			pub.sendTo(0, tc.ddl)
			pub.sendTo(0, barrierRow(tc.after, sink.OpInsert, 40, "3", "9"))
			_, _ = startReplayer(t, testConfig(st, topic), target)
			time.Sleep(2 * time.Second) // queue 0 reaches the DDL long before queue 1 has anything
			pub.sendTo(1, barrierRow(before, sink.OpInsert, 20, "1", "5"))
			pub.sendTo(1, tc.ddl)
			ctx := context.Background()
			var got string
			deadline := time.Now().Add(30 * time.Second)
			for time.Now().Before(deadline) {
				var err error
				if got, err = target.liveRows(ctx, tc.table, tc.col); err != nil {
					t.Fatal(err)
				}
				if got == tc.want {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			if got != tc.want {
				t.Fatalf("copy %s has %q, want %q", tc.table, got, tc.want)
			}
			if tc.ghost != "" {
				if ghost, err := target.liveRows(ctx, tc.ghost, tc.col); err != nil || ghost != "" {
					t.Fatalf("ghost copy table %s holds %q (%v)", tc.ghost, ghost, err)
				}
			}
		})
	}
}

// TestDDLBarrierSkipsVersionAppliedInSink restarts the case where the sink applied a DDL long
// ago: queue 1 still carries an old copy of it, queue 0 has passed it (no copy left). Queue 1
// must not wait for queue 0, and its rows after the DDL must arrive.
func TestDDLBarrierSkipsVersionAppliedInSink(t *testing.T) {
	st := testenv.Get(t)
	for _, target := range []copyTarget{newMySQLTarget(t, st), newCHTarget(t, st)} {
		t.Run(target.Name(), func(t *testing.T) {
			topic := st.NewTopic(t, 2)
			pub := newPublisher(t, st, topic, 2)
			tb := barrierTable("t", "a")
			ddl := barrierDDL(30, "t", event.TypeAlter, "ALTER TABLE t ADD COLUMN c INT")
			ctx := context.Background()
			if err := target.Sink().Apply(ctx, &sink.Batch{Rows: []sink.Row{{Table: tb, Op: sink.OpInsert, Version: 5,
				Values: []*string{event.Str("9"), event.Str("9")}}}}); err != nil {
				t.Fatal(err)
			}
			if err := target.Sink().ApplyDDL(ctx, toDDL(ddl)); err != nil {
				t.Fatal(err)
			}
			pub.sendTo(0, barrierRow(tb, sink.OpInsert, 40, "2", "2"))
			pub.sendTo(1, ddl)
			pub.sendTo(1, barrierRow(tb, sink.OpInsert, 41, "1", "1"))
			_, _ = startReplayer(t, testConfig(st, topic), target)
			deadline := time.Now().Add(30 * time.Second)
			for {
				n, err := target.Count(ctx, "t")
				if err != nil {
					t.Fatal(err)
				}
				if n == 3 {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("copy has %d of 3 rows: queue 1 waited at a DDL version the sink had applied", n)
				}
				time.Sleep(200 * time.Millisecond)
			}
		})
	}
}
