package replayer

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/chsink"
	"github.com/ferry-cdc/ferry/pkg/sink/mysqlsink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// propQueue is the message property the test selector reads the target queue from.
const propQueue = "TEST_QUEUE"

// idSelector sends a message to the queue whose id is in its TEST_QUEUE property, the way the
// tailer places rows by event.QueueFor and DDL on every queue.
type idSelector struct{}

func (idSelector) Select(msg *primitive.Message, mqs []*primitive.MessageQueue, _ string) *primitive.MessageQueue {
	want, _ := strconv.Atoi(msg.GetProperty(propQueue))
	for _, q := range mqs {
		if q.QueueId == want {
			return q
		}
	}
	return mqs[0]
}

// publisher sends event messages to a topic with explicit queue placement.
type publisher struct {
	t      testing.TB
	p      rocketmq.Producer
	topic  string
	queues int
}

func newPublisher(t testing.TB, st *testenv.Stack, topic string, queues int) *publisher {
	t.Helper()
	p, err := rocketmq.NewProducer(
		producer.WithNsResolver(primitive.NewPassthroughResolver([]string{st.NameServer})),
		producer.WithGroupName(testenv.UniqueName("test_pub")),
		producer.WithInstanceName(testenv.UniqueName("test_pub")),
		producer.WithQueueSelector(idSelector{}),
		producer.WithRetry(2),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Shutdown() })
	return &publisher{t: t, p: p, topic: topic, queues: queues}
}

// sendRaw sends body to one queue.
func (pb *publisher) sendRaw(queue int, body []byte, key string) {
	pb.t.Helper()
	msg := primitive.NewMessage(pb.topic, body)
	msg.WithProperty(propQueue, strconv.Itoa(queue))
	msg.WithShardingKey(key)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := pb.p.SendSync(ctx, msg)
	if err != nil || res.Status != primitive.SendOK {
		pb.t.Fatalf("send to queue %d: %v %v", queue, res, err)
	}
}

// send encodes m and sends it to its row's queue, or to every queue for DDL.
func (pb *publisher) send(m *event.Message) {
	pb.t.Helper()
	body, err := event.Encode(m)
	if err != nil {
		pb.t.Fatalf("encode: %v", err)
	}
	if m.IsDDL {
		for q := range pb.queues {
			pb.sendRaw(q, body, m.Table)
		}
		return
	}
	rk := m.RowKey(0)
	pb.sendRaw(event.QueueFor(m.Database, m.Table, rk, pb.queues), body, event.ShardingKey(m.Database, m.Table, rk))
}

// toMessages turns history rows into event messages: consecutive rows of one table and
// operation that hash to the same queue share a message (up to 3), like the tailer's batching.
func toMessages(rows []sink.Row, queues int) []*event.Message {
	var out []*event.Message
	var last *event.Message
	lastQ := -1
	for i, r := range rows {
		m := rowMessage(r, int64(i))
		q := event.QueueFor(m.Database, m.Table, m.RowKey(0), queues)
		if last != nil && q == lastQ && last.Type == m.Type && len(last.Data) < 3 &&
			last.Ferry.Versions[len(last.Data)-1] < r.Version {
			last.Data = append(last.Data, m.Data[0])
			last.Ferry.Versions = append(last.Ferry.Versions, r.Version)
			continue
		}
		out = append(out, m)
		last, lastQ = m, q
	}
	return out
}

func rowMessage(r sink.Row, id int64) *event.Message {
	t := r.Table
	m := &event.Message{
		ID: id, Database: t.Database, Table: t.Name, PKNames: t.PK,
		Type: map[sink.Op]string{sink.OpInsert: event.TypeInsert, sink.OpUpdate: event.TypeUpdate, sink.OpDelete: event.TypeDelete}[r.Op],
		ES:   time.Now().UnixMilli(), TS: time.Now().UnixMilli(),
		MySQLType: map[string]string{}, SQLType: map[string]int{},
		Ferry: &event.Meta{Format: event.Format, Versions: []uint64{r.Version}, File: "mysql-bin.000001", Pos: 4, ServerID: 1},
	}
	img := map[string]*string{}
	for i, c := range t.Columns {
		m.MySQLType[c.Name] = c.MySQLType
		m.Ferry.Columns = append(m.Ferry.Columns, c.Name)
		img[c.Name] = r.Values[i]
	}
	m.Data = []map[string]*string{img}
	return m
}

// chunkMessage builds one message (id) carrying rows, which share a table and operation.
func chunkMessage(rows []sink.Row, id int64) *event.Message {
	m := rowMessage(rows[0], id)
	for _, r := range rows[1:] {
		m.Data = append(m.Data, rowMessage(r, 0).Data[0])
		m.Ferry.Versions = append(m.Ferry.Versions, r.Version)
	}
	return m
}

// mysqlTarget is a fresh MySQL copy for one test.
type mysqlTarget struct {
	st             *testenv.Stack
	copyDB, viewDB string
	sink           *mysqlsink.Sink
}

func newMySQLTarget(t testing.TB, st *testenv.Stack) *mysqlTarget {
	t.Helper()
	cfg := mysqlsink.DefaultConfig()
	cfg.DSN = st.CopyDSN("")
	cfg.CopyDatabase, cfg.ViewDatabase = st.NewCopyDatabase(t), st.NewCopyDatabase(t)
	s, err := mysqlsink.Open(context.Background(), cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &mysqlTarget{st: st, copyDB: cfg.CopyDatabase, viewDB: cfg.ViewDatabase, sink: s}
}

// copyTarget is a fresh copy the replayer writes to in a test.
type copyTarget interface {
	Sink() sink.Sink
	Name() string
	// Read returns the live rows of table as canonical event strings by key.
	Read(ctx context.Context, table *sink.Table) (map[string][]*string, error)
	// Expect adjusts the source's final state for documented degradations of the copy.
	Expect(table *sink.Table, want map[string][]*string) map[string][]*string
	// Count returns the number of rows in the copy table, tombstones and duplicates included.
	Count(ctx context.Context, table string) (int, error)
}

func (mt *mysqlTarget) Count(ctx context.Context, table string) (int, error) {
	var n int
	err := mt.sink.DB().QueryRowContext(ctx, fmt.Sprintf("SELECT COUNT(*) FROM `%s`.`%s`", mt.copyDB, table)).Scan(&n)
	return n, err
}

func (ct *chTarget) Count(ctx context.Context, table string) (int, error) {
	var n uint64
	err := ct.sink.Conn().QueryRow(ctx, fmt.Sprintf("SELECT count() FROM `%s`.`%s`", ct.copyDB, table)).Scan(&n)
	return int(n), err
}

func (mt *mysqlTarget) Sink() sink.Sink { return mt.sink }
func (mt *mysqlTarget) Name() string    { return "mysql" }
func (mt *mysqlTarget) Read(ctx context.Context, table *sink.Table) (map[string][]*string, error) {
	return sinktest.ReadMySQL(ctx, mt.sink.DB(), mt.viewDB, table)
}
func (mt *mysqlTarget) Expect(_ *sink.Table, want map[string][]*string) map[string][]*string {
	return want
}

// chTarget is a fresh ClickHouse copy.
type chTarget struct {
	copyDB string
	viewDB string
	sink   *chsink.Sink
}

func newCHTarget(t testing.TB, st *testenv.Stack) *chTarget {
	t.Helper()
	cfg := chsink.DefaultConfig()
	cfg.Addr = st.ClickHouseAddr
	cfg.CopyDatabase, cfg.ViewDatabase = st.NewClickHouseDatabase(t), st.NewClickHouseDatabase(t)
	s, err := chsink.Open(context.Background(), cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &chTarget{copyDB: cfg.CopyDatabase, viewDB: cfg.ViewDatabase, sink: s}
}

func (ct *chTarget) Sink() sink.Sink { return ct.sink }
func (ct *chTarget) Name() string    { return "clickhouse" }
func (ct *chTarget) Read(ctx context.Context, table *sink.Table) (map[string][]*string, error) {
	return sinktest.ReadClickHouse(ctx, ct.sink.Conn(), ct.viewDB, table)
}
func (ct *chTarget) Expect(table *sink.Table, want map[string][]*string) map[string][]*string {
	if ct.sink.Features().DateTime64 {
		return want
	}
	return sinktest.TruncateFractions(table, want)
}

// waitConverged polls the copy until it equals the source's final state.
func waitConverged(t *testing.T, tg copyTarget, table *sink.Table, want map[string][]*string, timeout time.Duration) {
	t.Helper()
	want = tg.Expect(table, want)
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		got, err := tg.Read(context.Background(), table)
		if err == nil {
			if last = sinktest.Diff(table, want, got); last == "" {
				return
			}
		} else {
			last = err.Error()
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatalf("%s copy did not converge within %s: %s", tg.Name(), timeout, last)
}

// testConfig returns a replayer config for a fresh group on topic.
func testConfig(st *testenv.Stack, topic string) Config {
	cfg := DefaultConfig()
	cfg.NameServer, cfg.BrokerAddr, cfg.Topic = st.NameServer, st.BrokerAddr, topic
	cfg.Group = testenv.UniqueName("test_replayer")
	cfg.FlushInterval = 50 * time.Millisecond
	cfg.RetryBackoff = 20 * time.Millisecond
	cfg.Retries = 2
	return cfg
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("FERRY_TEST_VERBOSE") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.DiscardHandler)
}

// startReplayer runs a replayer in the background; stop cancels it and returns Run's error.
func startReplayer(t *testing.T, cfg Config, tg copyTarget) (r *Replayer, stop func() error) {
	t.Helper()
	r, err := New(cfg, tg.Sink(), tg.Name(), testLogger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- r.Run(ctx) }()
	var once bool
	var runErr error
	stop = func() error {
		if !once {
			once = true
			cancel()
			select {
			case runErr = <-errc:
			case <-time.After(time.Minute):
				runErr = fmt.Errorf("replayer did not stop within a minute")
			}
		}
		return runErr
	}
	t.Cleanup(func() { _ = stop() })
	return r, stop
}

// metricValue reads a counter's or a gauge's current value (-1 if it cannot be read).
func metricValue(c prometheus.Metric) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	if g := m.GetGauge(); g != nil {
		return g.GetValue()
	}
	return m.GetCounter().GetValue()
}
