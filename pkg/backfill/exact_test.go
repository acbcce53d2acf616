package backfill_test

import (
	"context"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/backfill"
	"github.com/ferry-cdc/ferry/pkg/backfill/backfilltest"
	"github.com/ferry-cdc/ferry/pkg/event"
)

// recordingPublisher keeps published messages in memory.
type recordingPublisher struct {
	mu   sync.Mutex
	msgs []backfill.Outgoing
}

func (p *recordingPublisher) Queues(context.Context) (int, error) { return 4, nil }

func (p *recordingPublisher) Publish(_ context.Context, msgs []backfill.Outgoing) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msgs = append(p.msgs, msgs...)
	return nil
}

// rows returns every published row image of table with its message's mysqlType map.
func (p *recordingPublisher) rows(table string) (rows []map[string]*string, types map[string]string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, o := range p.msgs {
		if o.Msg.Table == table {
			rows, types = append(rows, o.Msg.Images()...), o.Msg.MySQLType
		}
	}
	return rows, types
}

// TestSnapshotRowsAreTheStreamsRows: snapshot rows must carry what the stream's rows carry for
// the same source contents: FLOAT as the shortest text of the stored single-precision value
// (not the text protocol's 6 digits), UUID/INET6 as binary(16) of their stored bytes (the
// binlog names no UUID type), latin1 text as MariaDB's latin1 (cp1252) decoded, and nothing
// of what the tailer's exclude / exclude-columns filters drop.
func TestSnapshotRowsAreTheStreamsRows(t *testing.T) {
	st := testenv.Get(t)
	db := st.NewSourceDatabase(t)
	src := backfilltest.OpenSource(t, st)
	const uuid = "123e4567-e89b-12d3-a456-426655440000"
	for _, q := range []string{
		"CREATE TABLE `" + db + "`.t (id INT PRIMARY KEY, f FLOAT, l VARCHAR(20) CHARACTER SET latin1, u UUID, i INET6, email VARCHAR(50))",
		"CREATE TABLE `" + db + "`.secret (id INT PRIMARY KEY, v INT)",
		"INSERT INTO `" + db + "`.t VALUES (1, 3.1415927, '’€–', '" + uuid + "', '2001:db8::1', 'a@b.c')",
		"INSERT INTO `" + db + "`.secret VALUES (1, 1)",
	} {
		if _, err := src.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	cfg := backfill.DefaultConfig()
	cfg.CheckpointDir = t.TempDir()
	cfg.Include, cfg.Exclude, cfg.ExcludeColumns = []string{db + ".*"}, []string{db + ".secret"}, []string{db + ".t.email"}
	pub := &recordingPublisher{}
	b, err := backfill.New(cfg, src, pub, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tables, err := b.Tables(ctx, []string{db})
	if err != nil || strings.Join(tables, ",") != db+".t" {
		t.Fatalf("Tables(%s) = %v, %v; want only %s.t (secret is excluded)", db, tables, err, db)
	}
	if _, err := b.Table(ctx, db+".secret"); !errors.Is(err, backfill.ErrExcluded) {
		t.Errorf("Table(%s.secret) err = %v, want ErrExcluded", db, err)
	}
	if _, err := b.Table(ctx, db+".t"); err != nil {
		t.Fatal(err)
	}
	rows, types := pub.rows("t")
	if len(rows) != 1 {
		t.Fatalf("published %d rows of t, want 1", len(rows))
	}
	uuidBytes, _ := hex.DecodeString(strings.ReplaceAll(uuid, "-", ""))
	inet6 := []byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}
	want := map[string]string{
		"id": "1",
		"f":  strconv.FormatFloat(float64(float32(3.1415927)), 'g', -1, 32),
		"l":  "’€–",
		"u":  event.EncodeBytes(uuidBytes),
		"i":  event.EncodeBytes(inet6),
	}
	for col, w := range want {
		if v := rows[0][col]; v == nil || *v != w {
			t.Errorf("column %s = %q, want %q", col, deref(v), w)
		}
	}
	for _, col := range []string{"u", "i"} {
		if types[col] != "binary(16)" {
			t.Errorf("mysqlType[%s] = %q, want binary(16) (what the stream publishes)", col, types[col])
		}
	}
	if _, ok := rows[0]["email"]; ok || types["email"] != "" {
		t.Errorf("excluded column email was published: %v / %q", deref(rows[0]["email"]), types["email"])
	}
}

func deref(s *string) string {
	if s == nil {
		return "NULL"
	}
	return *s
}

// TestRepairTombstoneIsAppliedByTheReplayer: verify --repair publishes a DELETE for a key the
// copy has and the source lacks; the real replayer (which needs every column in a row image)
// must apply it as a tombstone.
func TestRepairTombstoneIsAppliedByTheReplayer(t *testing.T) {
	st := testenv.Get(t)
	db := st.NewSourceDatabase(t)
	src := backfilltest.OpenSource(t, st)
	for _, q := range []string{
		"CREATE TABLE `" + db + "`.t (id INT PRIMARY KEY, v VARCHAR(10) NOT NULL, n INT NOT NULL)",
		"INSERT INTO `" + db + "`.t VALUES (1, 'a', 1), (2, 'b', 2)",
	} {
		if _, err := src.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	c := backfilltest.NewCopies(t, st)
	c.EnsureSchema(t, st, db)
	c.Load(t, src, db)
	copyT := "`" + c.MySQLCopy + "`.t"
	if _, err := c.MySQL.Exec("INSERT INTO " + copyT + " (id, v, n, _version, _deleted) VALUES (99, 'x', 9, 1, 0)"); err != nil {
		t.Fatal(err)
	}
	topic := st.NewTopic(t, 2)
	backfilltest.StartReplayer(t, st, topic, c.MySQLSink, "mysql", 20*time.Millisecond)
	ctx := context.Background()
	pub, err := backfill.NewCanalPublisher(ctx, backfilltest.TailerConfig(t, st, db, topic), backfilltest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close(ctx)
	cfg := backfill.DefaultConfig()
	cfg.CheckpointDir = t.TempDir()
	b, err := backfill.New(cfg, src, pub, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.RepairKeys(ctx, db+".t", [][]string{{"99"}, {"2"}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		var deleted int
		if err := c.MySQL.QueryRow("SELECT _deleted FROM " + copyT + " WHERE id = 99").Scan(&deleted); err != nil {
			t.Fatal(err)
		}
		if deleted == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the replayer did not apply the repair's DELETE of key 99 within 60 s (a key-only image is refused)")
		}
		time.Sleep(100 * time.Millisecond)
	}
	var live int
	if err := c.MySQL.QueryRow("SELECT COUNT(*) FROM " + copyT + " WHERE _deleted = 0").Scan(&live); err != nil || live != 2 {
		t.Errorf("live copy rows after repair = %d (%v), want 2", live, err)
	}
}

// TestSnapshotNumbersAsEvents: numbers read over the text protocol are published in their event
// form whatever text the server sends: no ZEROFILL padding, YEAR 0 as "0", BIT as its decimal
// value, DOUBLE as its shortest text, DECIMAL at its scale, the integer types' extremes intact.
func TestSnapshotNumbersAsEvents(t *testing.T) {
	st := testenv.Get(t)
	db := st.NewSourceDatabase(t)
	src := backfilltest.OpenSource(t, st)
	cols := []struct{ def, value, want string }{
		{"TINYINT", "-128", "-128"},
		{"SMALLINT UNSIGNED", "0", "0"},
		{"MEDIUMINT", "-8388608", "-8388608"},
		{"INT(6) ZEROFILL", "42", "42"},
		{"INT(6) UNSIGNED ZEROFILL", "0", "0"},
		{"BIGINT", "-9223372036854775808", "-9223372036854775808"},
		{"BIGINT UNSIGNED", "18446744073709551615", "18446744073709551615"},
		{"BIGINT(25) UNSIGNED ZEROFILL", "7", "7"},
		{"YEAR", "0", "0"},
		{"YEAR", "2024", "2024"},
		{"BIT(10)", "b'1010'", "10"},
		{"DOUBLE", "0.1", "0.1"},
		{"DOUBLE", "-1.5e20", "-150000000000000000000"},
		{"DECIMAL(10,3)", "1.5", "1.500"},
		{"INT", "NULL", "NULL"},
	}
	defs, vals := []string{"id INT PRIMARY KEY"}, []string{"1"}
	for i, c := range cols {
		defs, vals = append(defs, "c"+strconv.Itoa(i)+" "+c.def), append(vals, c.value)
	}
	for _, q := range []string{
		"CREATE TABLE `" + db + "`.n (" + strings.Join(defs, ", ") + ")",
		"INSERT INTO `" + db + "`.n VALUES (" + strings.Join(vals, ", ") + ")",
	} {
		if _, err := src.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	cfg := backfill.DefaultConfig()
	cfg.CheckpointDir = t.TempDir()
	pub := &recordingPublisher{}
	b, err := backfill.New(cfg, src, pub, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Table(context.Background(), db+".n"); err != nil {
		t.Fatal(err)
	}
	rows, _ := pub.rows("n")
	if len(rows) != 1 {
		t.Fatalf("published %d rows of n, want 1", len(rows))
	}
	for i, c := range cols {
		t.Run(c.def+"="+c.value, func(t *testing.T) {
			if got := deref(rows[0]["c"+strconv.Itoa(i)]); got != c.want {
				t.Errorf("published %q, want %q", got, c.want)
			}
		})
	}
}
