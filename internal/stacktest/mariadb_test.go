package stacktest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/ferry-cdc/ferry/internal/testenv"
)

// TestMariaDBWriteRead writes typed rows to both MariaDB servers and reads them back.
func TestMariaDBWriteRead(t *testing.T) {
	s := testenv.Get(t)
	servers := []struct {
		name   string
		create func(testing.TB) string
		open   func(testing.TB, string) *sql.DB
	}{
		{"source", s.NewSourceDatabase, s.OpenSource},
		{"copy", s.NewCopyDatabase, s.OpenCopy},
	}
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			db := srv.open(t, srv.create(t))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			mustExec(t, db, `CREATE TABLE orders (id BIGINT UNSIGNED PRIMARY KEY, amount DECIMAL(12,2) NOT NULL,
				note VARCHAR(64) NULL, created_at DATETIME(3) NOT NULL, attrs JSON NULL)`)
			at := time.Date(2026, 11, 23, 14, 1, 2, 345_000_000, time.UTC)
			mustExec(t, db, "INSERT INTO orders VALUES (?, ?, ?, ?, ?), (?, ?, NULL, ?, NULL)",
				1, "19.99", "Grüße 🚚", at, `{"vip": true}`, 2, "0.10", at)
			var amount, note, attrs string
			var created time.Time
			err := db.QueryRowContext(ctx, "SELECT amount, note, created_at, attrs FROM orders WHERE id = 1").
				Scan(&amount, &note, &created, &attrs)
			if err != nil {
				t.Fatal(err)
			}
			var js map[string]bool
			if amount != "19.99" || note != "Grüße 🚚" || !created.Equal(at) || json.Unmarshal([]byte(attrs), &js) != nil || !js["vip"] {
				t.Fatalf("read back (%s, %q, %s, %s)", amount, note, created, attrs)
			}
			var nullNote sql.NullString
			if err := db.QueryRowContext(ctx, "SELECT note FROM orders WHERE id = 2").Scan(&nullNote); err != nil || nullNote.Valid {
				t.Fatalf("NULL note read back as %v, %v", nullNote, err)
			}
		})
	}
}

func mustExec(t testing.TB, db *sql.DB, q string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, q, args...); err != nil {
		t.Fatalf("%s: %v", strings.Fields(q)[0], err)
	}
}

// TestSourceBinlogRowChange sees an INSERT and an UPDATE on the source in its
// row binlog through go-mysql's BinlogSyncer, as the replication user, with
// column names (binlog_row_metadata=FULL), full before images and a GTID.
func TestSourceBinlogRowChange(t *testing.T) {
	s := testenv.Get(t)
	dbName := s.NewSourceDatabase(t)
	db := s.OpenSource(t, dbName)
	mustExec(t, db, "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(32), qty INT)")

	file, pos := masterStatus(t, db)
	syncer := newSyncer(t, s)
	streamer, err := syncer.StartSync(mysql.Position{Name: file, Pos: pos})
	if err != nil {
		t.Fatalf("start binlog sync at %s:%d: %v", file, pos, err)
	}
	mustExec(t, db, "INSERT INTO items VALUES (7, 'wrench', 3)")
	mustExec(t, db, "UPDATE items SET qty = 4 WHERE id = 7")

	got := collectRowEvents(t, streamer, dbName, "items", 2)
	if !got.sawGTID {
		t.Errorf("no MariaDB GTID event before the row events")
	}
	want := []string{
		"WriteRowsEventV1 [id name qty] [[7 wrench 3]]",
		"UpdateRowsEventV1 [id name qty] [[7 wrench 3] [7 wrench 4]]",
	}
	if strings.Join(got.rows, "\n") != strings.Join(want, "\n") {
		t.Fatalf("binlog rows:\n%s\nwant:\n%s", strings.Join(got.rows, "\n"), strings.Join(want, "\n"))
	}
}

// masterStatus returns the source's current binlog file and position.
func masterStatus(t testing.TB, db *sql.DB) (string, uint32) {
	t.Helper()
	rows, err := db.Query("SHOW MASTER STATUS")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if !rows.Next() {
		t.Fatal("SHOW MASTER STATUS returned no row: is log-bin on for the source? (scripts/stack logs source)")
	}
	if err := rows.Scan(ptrs...); err != nil {
		t.Fatal(err)
	}
	var pos uint32
	if _, err := fmt.Sscan(string(vals[1]), &pos); err != nil {
		t.Fatalf("binlog position %q: %v", vals[1], err)
	}
	return string(vals[0]), pos
}

func newSyncer(t testing.TB, s *testenv.Stack) *replication.BinlogSyncer {
	host, port := splitHostPort(t, s.SourceAddr)
	cfg := replication.BinlogSyncerConfig{
		// A random server id: two binlog clients with the same id kick each other off (ERROR 4052).
		ServerID:  uint32(100_000 + rand.IntN(1_000_000)),
		Flavor:    mysql.MariaDBFlavor,
		Host:      host,
		Port:      port,
		User:      s.ReplUser,
		Password:  s.ReplPassword,
		ParseTime: true,
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	syncer := replication.NewBinlogSyncer(cfg)
	t.Cleanup(syncer.Close)
	return syncer
}

func splitHostPort(t testing.TB, addr string) (string, uint16) {
	var host string
	var port uint16
	i := strings.LastIndex(addr, ":")
	host = addr[:i]
	if _, err := fmt.Sscan(addr[i+1:], &port); err != nil {
		t.Fatalf("bad address %q: %v", addr, err)
	}
	return host, port
}

type rowEvents struct {
	rows    []string
	sawGTID bool
}

// collectRowEvents reads binlog events until n row events for db.table arrived
// (bounded), formatting each as "Type [columns] [rows]".
func collectRowEvents(t testing.TB, st *replication.BinlogStreamer, db, table string, n int) rowEvents {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out rowEvents
	for len(out.rows) < n {
		ev, err := st.GetEvent(ctx)
		if err != nil {
			t.Fatalf("read binlog after %d of %d row events: %v", len(out.rows), n, err)
		}
		switch e := ev.Event.(type) {
		case *replication.MariadbGTIDEvent:
			out.sawGTID = true
		case *replication.RowsEvent:
			if string(e.Table.Schema) != db || string(e.Table.Table) != table {
				continue
			}
			out.rows = append(out.rows, fmt.Sprintf("%s %v %v", ev.Header.EventType, e.Table.ColumnNameString(), rowsString(e.Rows)))
		}
	}
	return out
}

func rowsString(rows [][]any) string {
	parts := make([]string, len(rows))
	for i, r := range rows {
		vals := make([]string, len(r))
		for j, v := range r {
			vals[j] = fmt.Sprint(v)
		}
		parts[i] = "[" + strings.Join(vals, " ") + "]"
	}
	return "[" + strings.Join(parts, " ") + "]"
}
