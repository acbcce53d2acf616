package canal

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/publish/publishtest"
)

// topicReader consumes a topic from the first offset (push consumer, not orderly: messages are
// kept by queue and offset, and ordered puts them in offset order) and keeps every message with
// its queue and offset.
type topicReader struct {
	mu   sync.Mutex
	msgs map[[2]int64]*event.Message // (queue, offset) -> message
	ext  map[[2]int64]consumedProps  // (queue, offset) -> its RocketMQ properties
	bad  []string
}

// consumedProps are the RocketMQ properties of a consumed message.
type consumedProps struct{ tags, keys, shardingKey, msgID string }

func readTopic(t *testing.T, st *testenv.Stack, topic string) *topicReader {
	t.Helper()
	r := &topicReader{msgs: map[[2]int64]*event.Message{}, ext: map[[2]int64]consumedProps{}}
	name := testenv.UniqueName("ferry_test_reader")
	c, err := rocketmq.NewPushConsumer(
		consumer.WithNameServer(primitive.NamesrvAddr{st.NameServer}),
		consumer.WithGroupName(name), consumer.WithInstance(name),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		consumer.WithConsumeMessageBatchMaxSize(32),
	)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Subscribe(topic, consumer.MessageSelector{}, func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, m := range msgs {
			ev, err := event.Decode(m.Body)
			if err != nil {
				r.bad = append(r.bad, err.Error())
				continue
			}
			k := [2]int64{int64(m.Queue.QueueId), m.QueueOffset}
			r.msgs[k] = ev
			r.ext[k] = consumedProps{m.GetTags(), m.GetKeys(), m.GetShardingKey(), m.MsgId}
		}
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Shutdown() })
	return r
}

// ordered returns the messages per queue in offset order, as rowChanges, plus the DDL count.
func (r *topicReader) ordered(t *testing.T) (rows []publishtest.Change, ddl int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bad) > 0 {
		t.Fatalf("undecodable messages in the topic: %v", r.bad[:min(3, len(r.bad))])
	}
	keys := make([][2]int64, 0, len(r.msgs))
	for k := range r.msgs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	recs := make([]publishtest.Recorded, len(keys))
	for i, k := range keys {
		recs[i] = publishtest.Recorded{Queue: int(k[0]), Msg: r.msgs[k]}
	}
	rows, d := publishtest.Flatten(recs)
	return rows, len(d)
}

// replay applies row changes per key in version order (last writer wins) and returns the
// resulting table contents rendered as "table|key|col=val ..." lines. It also fails the test when
// one (key, version, op) was published twice with different contents.
func replay(t *testing.T, rows []publishtest.Change) []string {
	type kv struct {
		version uint64
		data    map[string]*string
		deleted bool
	}
	state := map[string]kv{}
	seen := map[string]string{}
	for _, r := range rows {
		k := r.Table + "|" + r.Key
		id := fmt.Sprintf("%s|%d|%s", k, r.Version, r.Type)
		if prev, ok := seen[id]; ok && prev != render(r.Data) {
			t.Fatalf("duplicate %s with different data: %s vs %s", id, prev, render(r.Data))
		}
		seen[id] = render(r.Data)
		cur, ok := state[k]
		// A PK-change split gives DELETE and INSERT the same version on different keys; on one
		// key, equal versions are duplicates.
		if ok && r.Version <= cur.version {
			continue
		}
		state[k] = kv{version: r.Version, data: r.Data, deleted: r.Type == event.TypeDelete}
	}
	var out []string
	for k, v := range state {
		if !v.deleted {
			out = append(out, k+"|"+renderNonNull(v.data))
		}
	}
	sort.Strings(out)
	return out
}

// sourceState renders the source tables like replay does. Columns are read as text.
func sourceState(t *testing.T, db *sql.DB, tables map[string]string) []string {
	var out []string
	for table, pk := range tables {
		rows, err := db.Query("SELECT * FROM `" + table + "`")
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			raw := make([]sql.RawBytes, len(cols))
			ptrs := make([]any, len(cols))
			for i := range raw {
				ptrs[i] = &raw[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			m := map[string]*string{}
			for i, c := range cols {
				if raw[i] != nil {
					s := string(raw[i])
					m[c] = &s
				} else {
					m[c] = nil
				}
			}
			out = append(out, table+"|"+*m[pk]+"|"+renderNonNull(m))
		}
		rows.Close()
	}
	sort.Strings(out)
	return out
}

// waitConverged waits until replaying the topic gives the source's state.
func waitConverged(t *testing.T, r *topicReader, src *sql.DB, tables map[string]string, timeout time.Duration) []publishtest.Change {
	t.Helper()
	want := sourceState(t, src, tables)
	deadline := time.Now().Add(timeout)
	for {
		rows, _ := r.ordered(t)
		got := replay(t, rows)
		if strings.Join(got, "\n") == strings.Join(want, "\n") {
			return rows
		}
		if time.Now().After(deadline) {
			t.Fatalf("topic replay did not converge to the source within %v: %d rows replayed, %d source rows; first diff: %s",
				timeout, len(got), len(want), firstDiff(got, want))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func firstDiff(got, want []string) string {
	g := map[string]bool{}
	for _, s := range got {
		g[s] = true
	}
	w := map[string]bool{}
	for _, s := range want {
		w[s] = true
		if !g[s] {
			return "missing " + truncate(s, 200)
		}
	}
	for _, s := range got {
		if !w[s] {
			return "extra " + truncate(s, 200)
		}
	}
	return "none"
}

// renderNonNull renders a row without its NULL columns, so a row written before an
// ADD COLUMN (NULL default) compares equal to its current SELECT.
func renderNonNull(m map[string]*string) string {
	c := map[string]*string{}
	for k, v := range m {
		if v != nil {
			c[k] = v
		}
	}
	return render(c)
}
